-- Koko schema, version 4: the search index — each word of each book and customer (see koko-core's domain::words),
-- kept by the same transactions that write the records. Bytewise order ("C") makes a prefix a range of the index.
-- Rows for the records stored before this version are written by Koko right after this script, in the same
-- transaction.
CREATE TABLE koko_words (
    kind TEXT NOT NULL CHECK (kind IN ('b', 'c')),
    word TEXT COLLATE "C" NOT NULL,
    id   BIGINT NOT NULL,
    PRIMARY KEY (kind, word, id)
);
