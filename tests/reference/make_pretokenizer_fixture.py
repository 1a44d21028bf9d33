#!/usr/bin/python3
"""Splits test strings with the byte-level BPE pre-tokenizer regexes, using the `regex` module (Debian's
python3-regex, which has \\p{L} and \\p{N} as Hugging Face's tokenizers do), for runtime/src/pre_tokenizer.cc's
scanners to match.

Usage: /usr/bin/python3 tests/reference/make_pretokenizer_fixture.py [OUTPUT]
       (default tests/fixtures/pretokenizer/splits.json)
"""
import json
import os
import sys

import regex

PATTERNS = {
    "gpt2": r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""",
    "llama3": r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"""
              r"""\s*[\r\n]+|\s+(?!\S)|\s+""",
    "qwen2": r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"""
             r"""\s*[\r\n]+|\s+(?!\S)|\s+""",
}

STRINGS = [
    "", " ", "  ", "\n", "\r\n", " \n", "\n ", "\n\n\n", " \n \n ", "\t\tx", "a\n\nb", "a \n  b", "x  \r\n  y",
    "Hello world", "Hello, world!", "hello   world", "  leading", "trailing  ", "I'm here", "I'M HERE", "they'RE",
    "we've", "You'll", "it'd", "'s", "don't", "rock'n'roll", "O'Neil's", "1", "12", "123", "1234", "1234567",
    "3.14159", "12,345,678.90", "abc123def", "x1y22z333", "½ ² ³ ٣", "100%", "$100", "#hashtag", "@user", "a-b-c",
    "(parenthesis)", "\"quoted\"", "'single'", "...", "?!?!", " !!!", " ! ", "e.g. i.e.", "C++ and C#",
    "tab\tseparated\tvalues", "line one\nline two\n", "windows\r\nline\r\n", "mixed \t\n spaces", "\u00a0nbsp",
    "zero\u200bwidth", "ideographic\u3000space", "Ünïcödé wörds", "naïve café", "日本語のテキスト", "中文，标点。",
    "한국어 텍스트", "emoji 🦙🚀 mixed", "🦙🦙🦙", "Ελληνικά", "русский текст", "עברית", "العربية", "हिन्दी",
    "ไทย", "a\u0301 combining", "x\u0308y", "ｆｕｌｌｗｉｄｔｈ", "math ∑∫∂", "arrows →←↑", "code: if (x == 1) {\n  y++;\n}",
    "    indented\n        more", "end with newline\n", "\n\nstart with newlines", "multiple\n\n\nblank lines",
    "  \t  \n\t  mixed", "a'b'c", "''", "'", "'S'T'RE", "12'34", "'ll've", " 's", "!hello", "\"hi\"there",
    "x\n\ny", "1\n2", "a1", "1a", "a 1 b 2", "9999999999", "٣٤٥ digits", "\u2028line\u2029para",
    "\u0085next line", "CamelCaseWord", "snake_case_word", "kebab-case-word", "path/to/file.txt",
    "https://example.com/a?b=c&d=e", "email@example.com", "<tag attr=\"v\">text</tag>",
]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join("tests", "fixtures", "pretokenizer", "splits.json")
    compiled = {name: regex.compile(p) for name, p in PATTERNS.items()}
    cases = []
    for text in STRINGS:
        case = {"text": text}
        for name, pattern in compiled.items():
            pieces = pattern.findall(text)
            assert "".join(pieces) == text, (name, text)
            case[name] = pieces
        cases.append(case)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump({"generator": "tests/reference/make_pretokenizer_fixture.py", "patterns": PATTERNS,
                   "cases": cases}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {out}: {len(cases)} strings x {len(PATTERNS)} patterns")


if __name__ == "__main__":
    main()
