package web

import (
	"net/http"
	"sync"

	"golang.org/x/text/language"

	"github.com/ordo/ordo/internal/order"
)

// langKey is the session key of the UI language the person chose.
const langKey = "lang"

// language is the UI language for r: the one the person chose (kept in the
// session), else the browser's, else English.
func (s *Server) language(r *http.Request) language.Tag {
	choice := ""
	if s.sessions != nil {
		choice = s.sessions.GetString(r.Context(), langKey)
	}
	return s.catalog.Match(choice, r.Header.Get("Accept-Language"))
}

// locale is how the person behind r writes numbers, dates and money: the
// browser's locale (which keeps a region's separators, de-CH's 1'234.50),
// unless the person chose a UI language other than the browser's, whose
// conventions then apply. Amounts are shown and read by it.
func (s *Server) locale(r *http.Request) order.Locale {
	l := requestLocale(r)
	if s.sessions == nil || s.sessions.GetString(r.Context(), langKey) == "" {
		return l
	}
	lang := s.language(r)
	if have, _ := language.Make(l.Tag).Base(); have != mustBase(lang) {
		return cachedLocale(lang)
	}
	return l
}

func mustBase(t language.Tag) language.Base {
	b, _ := t.Base()
	return b
}

// requestLocale is the locale of the first language in Accept-Language
// (by q), which a browser sets from the person's settings; English when the
// header is missing or unreadable.
func requestLocale(r *http.Request) order.Locale {
	h := r.Header.Get("Accept-Language")
	if h == "" || len(h) > 1000 {
		return order.English
	}
	tags, _, err := language.ParseAcceptLanguage(h)
	if err != nil || len(tags) == 0 {
		return order.English
	}
	// Separators depend on language, script and region only: drop
	// extensions and variants, which also bounds the cache below.
	// Only the parts the header names: a guessed script ("de-Latn-CH")
	// would not match CLDR's "de-CH".
	parts := []any{}
	base, _ := tags[0].Base()
	parts = append(parts, base)
	if script, c := tags[0].Script(); c == language.Exact {
		parts = append(parts, script)
	}
	if region, c := tags[0].Region(); c == language.Exact {
		parts = append(parts, region)
	}
	tag, err := language.Compose(parts...)
	if err != nil {
		return order.English
	}
	return cachedLocale(tag)
}

var localeCache struct {
	sync.Mutex
	m map[language.Tag]order.Locale
}

// cachedLocale remembers LocaleFor's answers for the few locales a server
// sees; it stops adding past 500 so that made-up tags cannot grow it.
func cachedLocale(tag language.Tag) order.Locale {
	localeCache.Lock()
	defer localeCache.Unlock()
	if l, ok := localeCache.m[tag]; ok {
		return l
	}
	l := order.LocaleFor(tag)
	if localeCache.m == nil {
		localeCache.m = map[language.Tag]order.Locale{}
	}
	if len(localeCache.m) < 500 {
		localeCache.m[tag] = l
	}
	return l
}
