-- How far each queue is read: every message of `recipient` numbered `mark` or below is
-- acknowledged. A peek starts after the highest mark instead of skipping, one by one, every
-- message a party ever acknowledged. A new mark is a new row (append-only), written with the
-- acknowledgement that advanced it and bound to its journal entry; a peek still checks each
-- message it returns against `message_acks`, so a mark only ever saves reading.
CREATE TABLE queue_marks (
    recipient   TEXT NOT NULL,
    mark        INTEGER NOT NULL,
    journal_seq INTEGER,
    PRIMARY KEY (recipient, mark)
);
CREATE INDEX queue_marks_journal ON queue_marks (journal_seq);

CREATE TRIGGER queue_marks_no_update BEFORE UPDATE ON queue_marks
BEGIN SELECT RAISE(ABORT, 'queue_marks is append-only: UPDATE refused'); END;
CREATE TRIGGER queue_marks_no_delete BEFORE DELETE ON queue_marks
BEGIN SELECT RAISE(ABORT, 'queue_marks is append-only: DELETE refused'); END;
