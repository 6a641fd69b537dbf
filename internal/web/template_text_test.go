package web

import (
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"text/template/parse"
	"unicode"

	"github.com/stretchr/testify/require"
)

// visibleAttrs are the attributes whose values people read or hear:
// tooltips, placeholders, names screen readers announce, image text, and
// data-label, which app.css shows above a table cell on narrow screens
// (content: attr(data-label)).
var visibleAttrs = map[string]bool{
	"placeholder": true, "title": true, "alt": true, "aria-label": true,
	"aria-description": true, "aria-placeholder": true, "aria-roledescription": true,
	"aria-valuetext": true, "data-label": true,
}

// untranslatedAllowed is the text templates may write as it is, because it
// reads the same in every language:
//   - Ordo is the product's name (the brand in the header, "… · Ordo" in
//     the tab title);
//   - CSV, PDF and Excel are names of file formats, as the export list
//     shows them;
//   - HTTP is the protocol's name, shown before a status code;
//   - ms is the unit of a latency (a unit, like %, not a word).
//
// Symbols (·, →, —, %, digits) need no entry: only letters are text. Text
// inside <code>, <kbd> and <samp> is code (a header, a media type), which
// is written the same in every language, and is not checked.
var untranslatedAllowed = regexp.MustCompile(`\b(Ordo|CSV|PDF|Excel|HTTP|ms)\b`)

// exemptTemplates are pages written in one language on purpose.
var exemptTemplates = map[string]string{
	// The API reference shows the OpenAPI document, which is English
	// (summaries, parameters), and says so with <html lang="en">; its
	// few lines for browsers without JavaScript are English with it.
	"templates/pages/apidocs.html": "English like the OpenAPI document",
}

// TestTemplateTextTranslated: every text a template writes for people to
// read goes through the catalogue ({{$.T "…"}}), so that no page shows
// English to a German user. It walks each text node of every template in
// document order, tracking where in the HTML it is (text, tag, attribute
// value, script), as html/template's escaper does, and fails for letters
// in text or in a visible attribute's value.
func TestTemplateTextTranslated(t *testing.T) {
	var found []string
	err := fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") || exemptTemplates[p] != "" {
			return err
		}
		src, err := fs.ReadFile(templateFS, p)
		if err != nil {
			return err
		}
		set, err := template.New(p).Funcs(funcs).Funcs(template.FuncMap{"asset": (&assets{}).URL}).Parse(string(src))
		if err != nil {
			return err
		}
		for _, tmpl := range set.Templates() {
			if tmpl.Tree == nil || tmpl.Tree.Root == nil {
				continue
			}
			w := &textWalker{tree: tmpl.Tree}
			w.walk(tmpl.Tree.Root, htmlState{})
			found = append(found, w.found...)
		}
		return nil
	})
	require.NoError(t, err)
	for _, f := range found {
		t.Errorf("%s: text outside the catalogue", f)
	}
	if len(found) > 0 {
		t.Log(`write such text as {{$.T "…"}} and translate it in internal/i18n/locales/de.json`)
	}
}

// TestTemplateTextWalker checks the walker on small templates: what it
// must find and what it must leave alone.
func TestTemplateTextWalker(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"text", `<p>Hello</p>`, []string{"Hello"}},
		{"translated", `<p>{{.T "Hello"}}</p>`, nil},
		{"entities and symbols", `<p>&nbsp;&middot; → — 100% {{.X}}</p>`, nil},
		{"brand", `<title>{{.Title}} · Ordo</title>`, nil},
		{"code", `<p>{{.T "Send it as"}} <code>Authorization: Bearer &lt;key&gt;</code>.</p> <kbd>Ctrl</kbd> Done`, []string{"Done"}},
		{"visible attribute", `<input placeholder="Search">`, []string{`placeholder="Search"`}},
		{"visible attribute after action", `<a href="{{.U}}" title="Open it">x</a>`, []string{`title="Open it"`, "x"}},
		{"attribute split by an action", `<a aria-label="Page {{.N}} of all">1</a>`, []string{`aria-label="Page "`, `aria-label=" of all"`}},
		{"other attributes", `<input type="text" name="email" autocomplete="username" class="wide">`, nil},
		{"script", `<script>var label = "Hello";</script>`, nil},
		{"comment", `<!-- Hello --><p>{{/* Hello */}}</p>`, nil},
		{"branches", `{{if .A}}<a href="/x">{{else}}<a href="/y">{{end}}Go</a>`, []string{"Go"}},
		{"svg", `<svg viewBox="0 0 24 24"><path d="M12 2 3 7v10"/></svg>`, nil},
		{"doctype", `<!doctype html><html lang="{{.Lang}}">`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := template.New("t").Funcs(funcs).Parse(tt.src)
			require.NoError(t, err)
			w := &textWalker{tree: tmpl.Tree}
			w.walk(tmpl.Tree.Root, htmlState{})
			var got []string
			for _, f := range w.found {
				_, text, _ := strings.Cut(f, ": ")
				got = append(got, text)
			}
			require.Equal(t, tt.want, got)
		})
	}
}

// Where in HTML a text node starts.
type htmlContext int

const (
	inText        htmlContext = iota
	inTagName                 // after <, reading the element's name
	inTag                     // between attributes
	inAttrName                // reading an attribute's name
	inAfterName               // after a name, before = or the next attribute
	inBeforeValue             // after =
	inValue                   // in a quoted or unquoted value
	inComment                 // <!-- … -->
	inDecl                    // <!doctype …>, </p>
	inRawText                 // <script>, <style>: code, not text
)

type htmlState struct {
	ctx   htmlContext
	quote byte   // the value's quote, 0 when unquoted
	tag   string // the element being opened (lower case)
	attr  string // the attribute being read (lower case)
	end   bool   // the tag is a closing one
	code  int    // how many <code>, <kbd>, <samp> elements are open
}

// textWalker collects the visible text with letters that a template's
// text nodes write, as "file:line:col: text".
type textWalker struct {
	tree  *parse.Tree
	found []string
}

// walk goes through n's nodes from state s and returns the state after
// them. Branches of an if, range or with start from the same state; the
// state after is the first branch's, which html/template requires to
// equal the others'.
func (w *textWalker) walk(n parse.Node, s htmlState) htmlState {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return s
		}
		for _, c := range n.Nodes {
			s = w.walk(c, s)
		}
	case *parse.TextNode:
		s = w.text(n, s)
	case *parse.IfNode:
		w.walk(n.ElseList, s)
		s = w.walk(n.List, s)
	case *parse.RangeNode:
		w.walk(n.ElseList, s)
		s = w.walk(n.List, s)
	case *parse.WithNode:
		w.walk(n.ElseList, s)
		s = w.walk(n.List, s)
	}
	return s
}

// text scans one text node's HTML from state s.
func (w *textWalker) text(n *parse.TextNode, s htmlState) htmlState {
	src := string(n.Text)
	var piece strings.Builder // visible text being read
	start := 0                // where piece starts in src
	flush := func() {
		if hasWords(piece.String()) && !(s.ctx == inText && s.code > 0) {
			text := strings.Join(strings.Fields(piece.String()), " ")
			if s.ctx == inValue {
				text = s.attr + `="` + piece.String() + `"`
			}
			w.found = append(w.found, w.where(n, start)+": "+text)
		}
		piece.Reset()
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch s.ctx {
		case inText:
			if c == '<' {
				rest := src[i+1:]
				switch {
				case strings.HasPrefix(rest, "!--"):
					flush()
					s.ctx = inComment
					i += 3
					continue
				case strings.HasPrefix(rest, "!") || strings.HasPrefix(rest, "?"):
					flush()
					s.ctx = inDecl
					continue
				case strings.HasPrefix(rest, "/"):
					flush()
					s = htmlState{ctx: inTagName, end: true, code: s.code}
					i++
					continue
				case rest != "" && isASCIILetter(rest[0]):
					flush()
					s = htmlState{ctx: inTagName, code: s.code}
					continue
				}
			}
			if piece.Len() == 0 {
				start = i
			}
			piece.WriteByte(c)
		case inComment:
			if strings.HasPrefix(src[i:], "-->") {
				s.ctx = inText
				i += 2
			}
		case inDecl:
			if c == '>' {
				s.ctx = inText
			}
		case inRawText:
			if c == '<' && strings.HasPrefix(strings.ToLower(src[i:]), "</"+s.tag) {
				s = htmlState{ctx: inTagName, end: true, code: s.code}
				i++
			}
		case inTagName:
			switch {
			case c == '>':
				s = w.tagEnd(s)
			case isSpace(c) || c == '/':
				s.ctx = inTag
			default:
				s.tag += string(unicode.ToLower(rune(c)))
			}
		case inTag, inAfterName:
			switch {
			case c == '>':
				s = w.tagEnd(s)
			case c == '=' && s.ctx == inAfterName:
				s.ctx = inBeforeValue
			case isSpace(c) || c == '/':
			default:
				s.ctx, s.attr = inAttrName, string(unicode.ToLower(rune(c)))
			}
		case inAttrName:
			switch {
			case c == '>':
				s = w.tagEnd(s)
			case c == '=':
				s.ctx = inBeforeValue
			case isSpace(c) || c == '/':
				s.ctx = inAfterName
			default:
				s.attr += string(unicode.ToLower(rune(c)))
			}
		case inBeforeValue:
			switch {
			case c == '"' || c == '\'':
				s.ctx, s.quote = inValue, c
			case isSpace(c):
			case c == '>':
				s = w.tagEnd(s)
			default:
				s.ctx, s.quote = inValue, 0
				i-- // the value's first character
			}
		case inValue:
			if (s.quote != 0 && c == s.quote) || (s.quote == 0 && (isSpace(c) || c == '>')) {
				if visibleAttrs[s.attr] {
					flush()
				}
				piece.Reset()
				s.ctx, s.quote = inTag, 0
				if c == '>' {
					s = w.tagEnd(s)
				}
				continue
			}
			if visibleAttrs[s.attr] {
				if piece.Len() == 0 {
					start = i
				}
				piece.WriteByte(c)
			}
		}
	}
	// An action may follow: what was read so far is one piece of text.
	if s.ctx == inText || (s.ctx == inValue && visibleAttrs[s.attr]) {
		flush()
	}
	return s
}

// tagEnd is the state after a tag's >: code in script and style, text
// elsewhere (including inside title and textarea, which people read).
func (w *textWalker) tagEnd(s htmlState) htmlState {
	switch s.tag {
	case "script", "style":
		if !s.end {
			return htmlState{ctx: inRawText, tag: s.tag, code: s.code}
		}
	case "code", "kbd", "samp":
		if s.end {
			s.code = max(s.code-1, 0)
		} else {
			s.code++
		}
	}
	return htmlState{ctx: inText, code: s.code}
}

// where is the file, line and column of src[off] in text node n.
func (w *textWalker) where(n *parse.TextNode, off int) string {
	loc, _ := w.tree.ErrorContext(n) // "file:line:col" of the node
	file, line, col := loc, 0, 0
	if i := strings.LastIndexByte(loc, ':'); i > 0 {
		col, _ = strconv.Atoi(loc[i+1:])
		if j := strings.LastIndexByte(loc[:i], ':'); j > 0 {
			line, _ = strconv.Atoi(loc[j+1 : i])
			file = loc[:j]
		}
	}
	before := string(n.Text[:off])
	if k := strings.LastIndexByte(before, '\n'); k >= 0 {
		line += strings.Count(before, "\n")
		col = off - k
	} else {
		col += off
	}
	return fmt.Sprintf("%s:%d:%d", file, line, col)
}

// hasWords reports whether s, with entities decoded and allowed names
// removed, still holds a letter.
func hasWords(s string) bool {
	s = untranslatedAllowed.ReplaceAllString(html.UnescapeString(s), "")
	return strings.IndexFunc(s, unicode.IsLetter) >= 0
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' }
