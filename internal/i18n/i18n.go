// Package i18n holds the UI's message catalogue: every string a page shows,
// keyed by its English text, with its translation in each other supported
// language. Pages ask for text with view.T("Orders"); numbers inside
// messages are formatted by the language's rules (x/text/message).
//
// Adding a language is adding locales/<tag>.json (English key → text) and
// its tag to Supported; TestCatalogueComplete fails until every key the
// templates and code use has a translation.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

//go:embed locales/*.json
var localeFS embed.FS

// Language is one language the UI speaks.
type Language struct {
	Tag language.Tag
	// Name is the language's own name for itself, as a chooser shows it.
	Name string
}

// Supported lists the UI's languages, English (the source) first.
var Supported = []Language{
	{language.English, "English"},
	{language.German, "Deutsch"},
}

// Catalog translates UI text. It is read-only after New, so one is shared
// by every request.
type Catalog struct {
	matcher  language.Matcher
	printers map[language.Tag]*message.Printer
	keys     map[language.Tag]map[string]bool
	words    map[language.Tag]map[string]string
}

// New loads the embedded translations.
func New() (*Catalog, error) {
	b := catalog.NewBuilder(catalog.Fallback(language.English))
	c := &Catalog{printers: map[language.Tag]*message.Printer{}, keys: map[language.Tag]map[string]bool{}, words: map[language.Tag]map[string]string{}}
	tags := make([]language.Tag, len(Supported))
	for i, l := range Supported {
		tags[i] = l.Tag
		if l.Tag == language.English {
			continue
		}
		raw, err := fs.ReadFile(localeFS, "locales/"+l.Tag.String()+".json")
		if err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", l.Tag, err)
		}
		var m map[string]string
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", l.Tag, err)
		}
		c.keys[l.Tag] = map[string]bool{}
		c.words[l.Tag] = map[string]string{}
		for k, v := range m {
			if strings.TrimSpace(v) == "" {
				continue
			}
			if err := b.SetString(l.Tag, k, v); err != nil {
				return nil, fmt.Errorf("i18n: %s %q: %w", l.Tag, k, err)
			}
			c.keys[l.Tag][k] = true
			c.words[l.Tag][k] = v
		}
	}
	c.matcher = language.NewMatcher(tags)
	for _, t := range tags {
		c.printers[t] = message.NewPrinter(t, message.Catalog(b))
	}
	return c, nil
}

// Match picks the UI language: the person's own choice when it is one we
// speak, else the best match for the browser's Accept-Language, else English.
func (c *Catalog) Match(choice, acceptLanguage string) language.Tag {
	if choice != "" {
		if t, err := language.Parse(choice); err == nil {
			if _, i, conf := c.matcher.Match(t); conf >= language.High {
				return Supported[i].Tag
			}
		}
	}
	if acceptLanguage != "" && len(acceptLanguage) <= 1000 {
		if tags, _, err := language.ParseAcceptLanguage(acceptLanguage); err == nil && len(tags) > 0 {
			if _, i, conf := c.matcher.Match(tags...); conf >= language.High {
				return Supported[i].Tag
			}
		}
	}
	return language.English
}

// T translates key (English text, possibly with fmt verbs) into tag's
// language and formats args by its rules. An untranslated key is shown in
// English.
func (c *Catalog) T(tag language.Tag, key string, args ...any) string {
	p, ok := c.printers[tag]
	if !ok {
		p = c.printers[language.English]
	}
	if len(args) == 0 && !strings.Contains(key, "%") {
		if tag == language.English || !c.keys[tag][key] {
			return key
		}
	}
	return p.Sprintf(key, args...)
}

// Word translates a key chosen at run time from a fixed list (a month's
// name), which is text without format verbs; T is for literal keys.
func (c *Catalog) Word(tag language.Tag, key string) string {
	if w, ok := c.words[tag][key]; ok {
		return w
	}
	return key
}

// Has reports whether key has a translation in tag's language (English
// has every key).
func (c *Catalog) Has(tag language.Tag, key string) bool {
	return tag == language.English || c.keys[tag][key]
}

// Keys lists the keys translated for tag.
func (c *Catalog) Keys(tag language.Tag) []string {
	out := make([]string, 0, len(c.keys[tag]))
	for k := range c.keys[tag] {
		out = append(out, k)
	}
	return out
}
