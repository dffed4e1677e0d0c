# hoso's test entry point: `make test` on a fresh machine installs what the
# tests need (poppler-utils, tesseract, chromium), makes sure PostgreSQL answers, and runs vet,
# staticcheck, the whole suite on SQLite and PostgreSQL, and each fuzz
# target briefly.

HOSO_TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
FUZZTIME ?= 5s
# staticcheck's version is pinned: a new release may add checks, and a
# test run must not change its verdict by itself.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
# The S3-compatible server the blob and multi-node tests start (Apache-2.0;
# it serves S3 from a folder). pipeline/blob/blobtest names the same version.
VERSITYGW := v1.8.0
export HOSO_TEST_DATABASE_URL

FUZZ_TARGETS := extract:FuzzSniff extract:FuzzDecodeText extract:FuzzHTML extract:FuzzDOCX \
	extract:FuzzODT extract:FuzzRTF extract:FuzzPPT extract:FuzzMail extract:FuzzUnpack extract:FuzzExtractPDF classify:FuzzClassify detect:FuzzIdentifiers search:FuzzParseQuery search:FuzzFold

.PHONY: test deps postgres vet staticcheck unit fuzz build

test: deps postgres vet staticcheck unit fuzz

build:
	go build -o hoso ./cmd/hoso

# Debian packages the tests drive: poppler-utils (pdftotext, pdftoppm),
# tesseract with its Vietnamese and English data (OCR), DejaVu fonts (the
# OCR fixtures are rendered with them), Liberation Mono 2 (code on the pages
# draws Vietnamese marks whole; fonts-liberation 1.07 has no "ế" and the
# browser falls back to a font that sets the marks beside the letter), Chromium (browser tests) and catdoc
# (catdoc and xls2csv read Word and Excel 97-2003 files; no Go reader of
# those binary formats is kept up, and these run inside the sandbox);
# then versitygw, a real S3 server for the object-storage tests, from the
# Go module proxy.
deps:
	@missing=""; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v xls2csv >/dev/null || missing="$$missing catdoc"; \
	command -v tesseract >/dev/null || missing="$$missing tesseract-ocr"; \
	[ -e /usr/share/tesseract-ocr/5/tessdata/vie.traineddata ] || missing="$$missing tesseract-ocr-vie"; \
	[ -e /usr/share/tesseract-ocr/5/tessdata/eng.traineddata ] || missing="$$missing tesseract-ocr-eng"; \
	[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="$$missing fonts-dejavu-core"; \
	[ -e /usr/share/fonts/truetype/liberation2/LiberationMono-Regular.ttf ] || missing="$$missing fonts-liberation2"; \
	if [ -n "$$missing" ]; then \
		echo "Installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
	@command -v versitygw >/dev/null || [ -x "$$(go env GOPATH)/bin/versitygw" ] || { \
		echo "Installing versitygw $(VERSITYGW)"; go install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW); }

# PostgreSQL must answer: the PostgreSQL half of the suite fails, never
# skips, when it does not.
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { \
		echo "Starting PostgreSQL"; \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
		for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; }
	@psql "$(HOSO_TEST_DATABASE_URL)" -qAtc 'SELECT 1' >/dev/null || { echo "PostgreSQL is unreachable at $(HOSO_TEST_DATABASE_URL)"; exit 1; }

vet:
	go vet ./...

staticcheck:
	go run $(STATICCHECK) ./...

unit:
	go test -count=1 -timeout 20m ./...

fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$name ($(FUZZTIME))"; \
		go test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) ./$$pkg >/tmp/hoso-fuzz.log 2>&1 && continue; \
		if grep -q "context deadline exceeded" /tmp/hoso-fuzz.log && ! grep -q "Failing input written" /tmp/hoso-fuzz.log; then \
			echo "fuzz $$name stopped at its deadline without a failing input (a go fuzz hiccup on a busy machine): once more"; \
			go test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) ./$$pkg >/tmp/hoso-fuzz.log 2>&1 && continue; \
		fi; \
		cat /tmp/hoso-fuzz.log; exit 1; \
	done
