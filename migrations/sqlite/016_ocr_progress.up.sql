-- How far OCR has read a document: the OCR child reports each page it
-- finishes, and the batch page shows pages done of pages to read.
CREATE TABLE ocr_progress (
    document_id  BIGINT PRIMARY KEY REFERENCES document (id) ON DELETE CASCADE,
    pages_done   INTEGER NOT NULL,
    pages_total  INTEGER NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
