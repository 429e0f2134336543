"""koko's limits that the API states too (in serializers, the paginator and the docs), each once, named after
koko's own constant. The koko package does not export them: keep these equal to koko's. koko checks every one of
them itself; the API states them so a request is refused with DRF's message and the schema documents the bound."""

# koko_core::MAX_PAGE (core/src/store/search.rs): the largest page koko reads in one call.
MAX_PAGE = 1_000

# MAX_COPIES_PER_CALL (core/src/engine/catalogue.rs): the most copies one add_book or add_copies call adds.
MAX_COPIES_PER_CALL = 10_000

# MAX_QUERY_CHARS (core/src/store/search.rs): the longest search text, in characters.
MAX_SEARCH_CHARS = 200

# koko's ids are u64.
MAX_ID = 2**64 - 1

# MAX_KEY_CHARS (core/src/engine/idempotency.rs): the longest idempotency key, in characters. koko sees a scoped digest
# of the client's key (views.base.idempotency_key), so the API checks the key as sent.
MAX_IDEMPOTENCY_KEY_CHARS = 255
