-- OCR: each page's confidence (tesseract's mean word confidence, 0-100),
-- its own language, and whether a person should check it.
ALTER TABLE page ADD COLUMN confidence REAL NOT NULL DEFAULT 0;
ALTER TABLE page ADD COLUMN language TEXT NOT NULL DEFAULT '';
ALTER TABLE page ADD COLUMN needs_review BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX page_needs_review ON page (document_id) WHERE needs_review;
