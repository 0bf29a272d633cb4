"""The HTTP edge: the POQ and hub blueprints, MEF Error bodies, body limits and request
validation. Requests come in here and leave as MEF answers; the engine behind knows no HTTP."""
