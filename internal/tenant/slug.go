package tenant

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// translit spells letters in ASCII that compatibility decomposition
// (NFKD) does not reduce to a base letter plus marks: Latin letters of
// their own (ł, ß, æ, ø, đ, þ…), and Cyrillic and Greek (Russian and
// Ukrainian passport-style romanisation, ELOT 743 for Greek). Keys are
// lower case. Other scripts are not transliterated: a name written only
// in them gets a hashed slug (see Slugify).
var translit = map[rune]string{
	// Latin
	'ł': "l", 'đ': "d", 'ð': "d", 'þ': "th", 'ß': "ss", 'æ': "ae", 'ø': "o", 'œ': "oe", 'ħ': "h", 'ı': "i",
	'ŀ': "l", 'ŧ': "t", 'ŋ': "n", 'ĸ': "k", 'ſ': "s", 'ƒ': "f", 'ə': "e", 'ɛ': "e", 'ɔ': "o", 'ʒ': "z",
	'ƀ': "b", 'ɨ': "i", 'ʉ': "u", 'ȥ': "z", 'ɓ': "b", 'ɗ': "d", 'ƙ': "k", 'ƴ': "y",
	// Cyrillic
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "e", 'ж': "zh", 'з': "z", 'и': "i",
	'й': "y", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t",
	'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "shch", 'ъ': "", 'ы': "y", 'ь': "",
	'э': "e", 'ю': "yu", 'я': "ya", 'і': "i", 'ї': "yi", 'є': "ye", 'ґ': "g", 'ў': "u", 'ђ': "dj", 'ј': "j",
	'љ': "lj", 'њ': "nj", 'ћ': "c", 'џ': "dz", 'ѓ': "g", 'ќ': "k", 'ѕ': "dz",
	// Greek
	'α': "a", 'β': "v", 'γ': "g", 'δ': "d", 'ε': "e", 'ζ': "z", 'η': "i", 'θ': "th", 'ι': "i", 'κ': "k",
	'λ': "l", 'μ': "m", 'ν': "n", 'ξ': "x", 'ο': "o", 'π': "p", 'ρ': "r", 'σ': "s", 'ς': "s", 'τ': "t",
	'υ': "y", 'φ': "f", 'χ': "ch", 'ψ': "ps", 'ω': "o",
}

// maxSlug is the longest slug ValidSlug accepts.
const maxSlug = 48

// Slugify derives a slug candidate from a display name. Letters are
// spelled in ASCII: accents and other marks are dropped ("Łódź Trading"
// → "lodz-trading", "Müller" → "muller"), letters of their own are
// transliterated (ß → ss, æ → ae, ø → o), and so are Cyrillic and Greek;
// every run of anything else becomes one hyphen. A name that leaves
// nothing ("山田商事", "!!!") gets "tenant-" and 8 hex digits of its
// SHA-256: never empty, the same name always the same candidate, and
// different names rarely the same one.
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	emit := func(s string) {
		for _, r := range s {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				b.WriteRune(r)
				dash = false
			}
		}
	}
	sep := func() {
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	for _, r := range name {
		if b.Len() >= maxSlug {
			break
		}
		r = unicode.ToLower(r)
		if t, ok := translit[r]; ok {
			emit(t)
			continue
		}
		// NFKD splits "ó" into "o" and a combining acute, "ﬁ" into "fi",
		// a full-width "Ａ" into "A"; marks are then dropped.
		for _, d := range norm.NFKD.String(string(r)) {
			d = unicode.ToLower(d)
			switch t, ok := translit[d]; {
			case d >= 'a' && d <= 'z' || d >= '0' && d <= '9':
				emit(string(d))
			case ok:
				emit(t)
			case unicode.Is(unicode.Mn, d):
				// a mark: dropped
			default:
				sep()
			}
		}
	}
	s := b.String()
	if len(s) > maxSlug {
		s = s[:maxSlug]
	}
	s = strings.Trim(s, "-")
	if s == "" {
		sum := sha256.Sum256([]byte(name))
		s = "tenant-" + hex.EncodeToString(sum[:4])
	}
	return s
}
