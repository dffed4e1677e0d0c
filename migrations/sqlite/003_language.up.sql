-- The language extraction found in a document's text: vi, en or empty.
ALTER TABLE document ADD COLUMN language TEXT NOT NULL DEFAULT '';
