package web_test

import (
	"regexp"
	"strings"
	"testing"

	"hoso/pipeline"
	"hoso/web"
)

// keyPattern matches a message key that reached a page untranslated.
var keyPattern = regexp.MustCompile(`\b(nav|batches|batch|search|doc|flags|flag|rules|dash|users|audit|login|password|error|state|status|severity|kind|reason|action|code|facet|role|title|js)\.[a-z_]+\b`)

// TestPagesTranslated renders every page for its role in both languages
// and finds no message key left untranslated and no English on the
// Vietnamese pages' headings.
func TestPagesTranslated(t *testing.T) {
	f := newFixture(t, web.Config{})
	pages := map[string][]string{
		"clerk-land":      {"/batches", "/batches/" + itoa(f.batch["land"]), "/documents/" + itoa(f.doc["land"]), "/account/password", "/documents/" + itoa(f.doc["land"]) + "/pages/1/edit"},
		"officer-land":    {"/search", "/search?q=Thành", "/documents/" + itoa(f.doc["land"])},
		"supervisor-land": {"/flags", "/flags/" + itoa(f.flag["land"]), "/rules", "/rules?from=0&to=0", "/dashboard"},
		"admin":           {"/admin/users", "/admin/audit", "/rules"},
		"":                {"/login"},
	}
	for user, paths := range pages {
		for _, p := range paths {
			for _, lang := range []string{"vi", "en"} {
				resp, body := f.do(user, "GET", p, nil, "Cookie", "hoso_lang="+lang)
				if resp.StatusCode != 200 {
					t.Errorf("%s %s (%s): %d", user, p, lang, resp.StatusCode)
					continue
				}
				if m := keyPattern.FindString(body); m != "" {
					t.Errorf("%s %s (%s): untranslated key %q", user, p, lang, m)
				}
				if !strings.Contains(body, `<html lang="`+lang+`">`) {
					t.Errorf("%s %s: page not in %s", user, p, lang)
				}
			}
		}
	}
}

// TestErrorCodesTranslated: every error code a page may show has a
// message in both languages, and both catalogs hold the same keys.
func TestErrorCodesTranslated(t *testing.T) {
	en, vi := web.Catalog("en"), web.Catalog("vi")
	for k := range en {
		if _, ok := vi[k]; !ok {
			t.Errorf("%q is in English only", k)
		}
	}
	for k := range vi {
		if _, ok := en[k]; !ok {
			t.Errorf("%q is in Vietnamese only", k)
		}
	}
	for _, code := range []string{pipeline.ECONFLICT, pipeline.EINTERNAL, pipeline.EINVALID, pipeline.ENOTFOUND, pipeline.ETOOLARGE,
		pipeline.EUNSUPPORTED, pipeline.ECORRUPT, pipeline.EENCRYPTED, pipeline.EEMPTY, pipeline.ETIMEOUT, pipeline.ELIMIT,
		pipeline.EQUARANTINED, pipeline.ENEEDSOCR, pipeline.EUNSAFE, pipeline.EUNAUTHORIZED, pipeline.EFORBIDDEN, pipeline.ELOCKED,
		pipeline.ETOOMANY, pipeline.EOCRMISSING} {
		if en["code."+code] == "" || vi["code."+code] == "" {
			t.Errorf("error code %q has no message", code)
		}
	}
}
