

def test_poq_ids_are_random_rfc4122_version_4_uuids() -> None:
    import uuid

    from mock_seller.core.ids import uuid4

    ids = [uuid4() for _ in range(2000)]
    parsed = [uuid.UUID(i) for i in ids]
    assert all(p.version == 4 and p.variant == uuid.RFC_4122 and str(p) == i
               for p, i in zip(parsed, ids, strict=True))
    assert len(set(ids)) == len(ids)
    for position in range(36):  # every random digit takes many values
        if position not in (8, 13, 14, 18, 23):
            assert len({i[position] for i in ids}) >= (4 if position == 19 else 16)
