"""The seller itself: one MEF 79.1 state machine (``engine``) driven by a scenario, the rules
that plan each item, the records it keeps, the scheduler of deferred transitions, the
notifier, and the serializers that turn records into v8/v7 wire documents."""
