-- Where a document's type and department came from: a rule, or a
-- person's correction, which reclassification never undoes.
ALTER TABLE document ADD COLUMN type_source TEXT NOT NULL DEFAULT '';
ALTER TABLE document ADD COLUMN department_source TEXT NOT NULL DEFAULT '';
UPDATE document SET type_source = 'rule', department_source = 'rule' WHERE doc_type <> '';
