package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"hoso/pipeline"
)

// SetAuditKey sets the secret that keys the audit chain. A store without
// a key writes plain records (version 1) and refuses to extend a keyed
// chain.
func (s *Store) SetAuditKey(key []byte) { s.auditKey = key }

// SetAuditPlainRecords says how many plain records the trail held when the
// key was made (kept beside the key, out of the database's reach): verify
// reports any more as a rewrite. Negative means unknown.
func (s *Store) SetAuditPlainRecords(n int64) { s.auditPlain = n }

// AuditHead returns the chain's length and the ID of the key it is bound
// to, "" when no keyed record was written yet.
func (s *Store) AuditHead(ctx context.Context) (seq int64, keyID string, err error) {
	if err := s.db.QueryRow(ctx, `SELECT seq, key_id FROM audit_head WHERE id = 1`).Scan(&seq, &keyID); err != nil {
		return 0, "", fmt.Errorf("read the audit head: %w", err)
	}
	return seq, keyID, nil
}

// AuditAppend adds a record to the chain. The update of the head row
// serializes appends on both databases. With a key the record is keyed
// and the chain bound to the key; another key, or none, is refused.
func (s *Store) AuditAppend(ctx context.Context, r *pipeline.AuditRecord) error {
	if r.At.IsZero() {
		r.At = s.now()
	}
	// The database keeps microseconds; hash what will be read back.
	r.At = r.At.UTC().Truncate(time.Microsecond)
	keyID := ""
	if s.auditKey != nil {
		keyID = pipeline.AuditKeyID(s.auditKey)
	}
	err := s.inTx(ctx, func(tx Tx) error {
		var bound string
		if err := tx.QueryRow(ctx, `UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash, key_id`).Scan(&r.Seq, &r.PrevHash, &bound); err != nil {
			return err
		}
		if bound != "" && bound != keyID {
			return pipeline.Errorf(pipeline.EINVALID, "The audit trail is keyed with another key than this process has: give the key it was written with (HOSO_AUDIT_KEY or audit.key in the data folder).")
		}
		if keyID == "" {
			r.Version = pipeline.AuditChainPlain
			r.Hash = r.ComputeHash()
		} else {
			r.Version = pipeline.AuditChainKeyed
			r.Hash = r.ComputeMAC(s.auditKey)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO audit_log (seq, at, user_id, user_name, remote, action, object, detail, chain_version, prev_hash, hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, r.Seq, r.At, r.UserID, r.UserName, r.Remote, r.Action, r.Object, r.Detail, r.Version, r.PrevHash, r.Hash); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE audit_head SET hash = $1, key_id = $2 WHERE id = 1`, r.Hash, keyID)
		return err
	})
	if err != nil {
		if pipeline.ErrorCode(err) != pipeline.EINTERNAL {
			return err
		}
		return fmt.Errorf("append to the audit trail: %w", err)
	}
	return nil
}

const auditColumns = `seq, at, user_id, user_name, remote, action, object, detail, chain_version, prev_hash, hash`

func scanAudit(row Row) (*pipeline.AuditRecord, error) {
	r := &pipeline.AuditRecord{}
	if err := row.Scan(&r.Seq, &r.At, &r.UserID, &r.UserName, &r.Remote, &r.Action, &r.Object, &r.Detail, &r.Version, &r.PrevHash, &r.Hash); err != nil {
		return nil, err
	}
	r.At = r.At.UTC()
	return r, nil
}

// AuditList lists records matching the filters.
func (s *Store) AuditList(ctx context.Context, p pipeline.AuditListParams) ([]*pipeline.AuditRecord, error) {
	var conds []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, fmt.Sprintf(cond, len(args)))
	}
	if p.UserName != "" {
		add("user_name = $%d", p.UserName)
	}
	if p.Action != "" {
		add("action = $%d", p.Action)
	}
	if p.Object != "" {
		add("object = $%d", p.Object)
	}
	if !p.Since.IsZero() {
		add("at >= $%d", p.Since.UTC())
	}
	if !p.Until.IsZero() {
		add("at < $%d", p.Until.UTC())
	}
	order := "seq"
	if p.BeforeSeq > 0 {
		add("seq < $%d", p.BeforeSeq)
		order = "seq DESC"
	} else {
		add("seq > $%d", p.AfterSeq)
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 200
	}
	args = append(args, limit)
	q := `SELECT ` + auditColumns + ` FROM audit_log WHERE ` + strings.Join(conds, " AND ") + ` ORDER BY ` + order + fmt.Sprintf(` LIMIT $%d`, len(args))
	out, err := collect(scanAudit)(s.db.Query(ctx, q, args...))
	if err != nil {
		return nil, fmt.Errorf("list audit trail: %w", err)
	}
	return out, nil
}

// AuditVerify checks the chain, a page at a time, with the store's key.
func (s *Store) AuditVerify(ctx context.Context, cp *pipeline.AuditCheckpoint) (*pipeline.AuditReport, error) {
	var headSeq int64
	var headHash string
	if err := s.db.QueryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash); err != nil {
		return nil, fmt.Errorf("read the audit head: %w", err)
	}
	records := func(yield func(*pipeline.AuditRecord, error) bool) {
		var after int64
		for {
			page, err := s.AuditList(ctx, pipeline.AuditListParams{AfterSeq: after, Limit: 1000})
			if err != nil {
				yield(nil, err)
				return
			}
			for _, r := range page {
				if !yield(r, nil) {
					return
				}
				after = r.Seq
			}
			if len(page) < 1000 {
				return
			}
		}
	}
	return pipeline.VerifyAudit(records, headSeq, headHash, s.auditKey, s.auditPlain, cp)
}
