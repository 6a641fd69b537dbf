package web

import (
	"net/http"
	"sync"

	"golang.org/x/text/language"

	"github.com/ordo/ordo/internal/order"
)

// requestLocale is how the person behind r writes numbers: the locale of
// the first language in Accept-Language (by q), which a browser sets from
// the person's settings; English when the header is missing or unreadable.
// There is no per-user or per-tenant language setting yet: one would take
// precedence here.
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
