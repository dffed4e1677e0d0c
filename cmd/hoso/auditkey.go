package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"hoso/pipeline"
	"hoso/pipeline/sqlstore"
)

// auditKeyFile is the audit key's file in the data folder: the key in hex
// on the first line, then "plain-records N", the length of the trail when
// the key was made.
const auditKeyFile = "audit.key"

// loadAuditKey gives the store the secret that keys the audit chain: the
// environment's HOSO_AUDIT_KEY (hex, 32 bytes or more), else the key file
// in the data folder, created (0600) on first start while the trail is not
// bound to a key yet. A keyed trail without its key is refused: records
// written without it would break the chain.
func loadAuditKey(ctx context.Context, st *sqlstore.Store, cfg Config) ([]byte, error) {
	key, plain, err := readAuditKey(cfg)
	if err != nil {
		return nil, err
	}
	seq, bound, err := st.AuditHead(ctx)
	if err != nil {
		return nil, err
	}
	if key == nil {
		if bound != "" {
			return nil, pipeline.Errorf(pipeline.EINVALID, "The audit trail is keyed but this process has no key: set HOSO_AUDIT_KEY or copy %s into the data folder %s.", auditKeyFile, cfg.DataDir)
		}
		if key, plain, err = createAuditKey(filepath.Join(cfg.DataDir, auditKeyFile), seq); err != nil {
			return nil, err
		}
	}
	if bound != "" && bound != pipeline.AuditKeyID(key) {
		return nil, pipeline.Errorf(pipeline.EINVALID, "The audit key (HOSO_AUDIT_KEY or %s) is not the one the audit trail was written with.", auditKeyFile)
	}
	st.SetAuditKey(key)
	st.SetAuditPlainRecords(plain)
	return key, nil
}

// readAuditKey returns the key and the number of plain records before it
// (-1 when unknown, as with HOSO_AUDIT_KEY), or a nil key when there is
// none yet.
func readAuditKey(cfg Config) ([]byte, int64, error) {
	if cfg.AuditKey != "" {
		key, err := hex.DecodeString(strings.TrimSpace(cfg.AuditKey))
		if err != nil || len(key) < 32 {
			return nil, 0, pipeline.Errorf(pipeline.EINVALID, "HOSO_AUDIT_KEY must be at least 32 bytes written in hex (64 hex digits; openssl rand -hex 32 makes one).")
		}
		return key, -1, nil
	}
	path := filepath.Join(cfg.DataDir, auditKeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	} else if err != nil {
		return nil, 0, fmt.Errorf("read the audit key: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, 0, pipeline.Errorf(pipeline.EINVALID, "The audit key %s can be read by others (mode %o): chmod 600 it.", path, fi.Mode().Perm())
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	key, err := hex.DecodeString(strings.TrimSpace(lines[0]))
	if err != nil || len(key) < 32 {
		return nil, 0, pipeline.Errorf(pipeline.EINVALID, "The audit key %s is not 32 bytes or more in hex.", path)
	}
	plain := int64(-1)
	if len(lines) > 1 {
		if n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(lines[1], "plain-records")), 10, 64); err == nil {
			plain = n
		}
	}
	return key, plain, nil
}

// createAuditKey writes a new random key, or reads the one another
// process wrote first.
func createAuditKey(path string, plain int64) ([]byte, int64, error) {
	key := make([]byte, 32)
	rand.Read(key)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readAuditKey(Config{DataDir: filepath.Dir(path)})
	} else if err != nil {
		return nil, 0, fmt.Errorf("create the audit key: %w", err)
	}
	if _, err := fmt.Fprintf(f, "%s\nplain-records %d\n", hex.EncodeToString(key), plain); err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("write the audit key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, 0, err
	}
	return key, plain, f.Close()
}
