-- How far each queue is read; see the SQLite migration of the same name.
CREATE TABLE queue_marks (
    recipient   TEXT NOT NULL,
    mark        BIGINT NOT NULL,
    journal_seq BIGINT,
    PRIMARY KEY (recipient, mark)
);
CREATE INDEX queue_marks_journal ON queue_marks (journal_seq);

CREATE TRIGGER queue_marks_append_only BEFORE UPDATE OR DELETE ON queue_marks
    FOR EACH ROW EXECUTE FUNCTION cloison_append_only();
