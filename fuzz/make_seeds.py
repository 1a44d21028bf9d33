#!/usr/bin/env python3
"""Writes the seed corpora that need no model: prompts for the tokenizer target, .npy arrays for the npy target,
small chat templates for the jinja_template target."""
import os
import struct
import sys

TEXTS = [
    "Once upon a time, there was a little girl named Lily.",
    "She said, \"I'm sorry, mom.\"\n\nThe end.",
    "  two  spaces\tand a tab",
    "caf\u00e9 na\u00efve \u65e5\u672c\u8a9e \U0001F600 \u00a9 \u20ac",
    "",
    "a" * 300,
]


TEMPLATES = [
    "{% for m in messages %}{{ '<|im_start|>' + m.role + '\\n' + m.content | trim + '<|im_end|>\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
    "{%- set ns = namespace(n=0) -%}{% for m in messages[::-1] if m.role != 'system' %}{% set ns.n = ns.n + 1 %}"
    "{{ loop.index0 }}{{ m | tojson(indent=2) }}{% endfor %}{{ ns.n }}{{ raise_exception('x') if ns.n > 9 }}",
    "{% macro f(x, y='-') %}{{ x ~ y }}{% endmacro %}{# c #}{{ f(bos_token) }}{{ [1, 2.5, none][1:] }}"
    "{{ {'a': messages|length}.items()|list }}{{ 'a b'.split() | join(',') | upper }}",
]


def npy(descr, shape, payload):
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (descr, dims)
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + payload


ARRAYS = {
    "f32_2x3.npy": npy("<f4", (2, 3), struct.pack("<6f", 0.5, -1.0, 2.0, 3.5, 0.0, -0.25)),
    "i32_5.npy": npy("<i4", (5,), struct.pack("<5i", 1, 2, 3, 4, 5)),
    "i64_1x2.npy": npy("<i8", (1, 2), struct.pack("<2q", 7, -9)),
    "i8_scalar.npy": npy("|i1", (), struct.pack("<b", -3)),
    "f32_empty.npy": npy("<f4", (0, 4), b""),
}


def main():
    root = sys.argv[1]
    os.makedirs(os.path.join(root, "tokenizer"), exist_ok=True)
    os.makedirs(os.path.join(root, "npy"), exist_ok=True)
    for i, text in enumerate(TEXTS):
        with open(os.path.join(root, "tokenizer", "text%d.txt" % i), "wb") as f:
            f.write(text.encode("utf-8"))
    os.makedirs(os.path.join(root, "jinja_template"), exist_ok=True)
    for i, text in enumerate(TEMPLATES):
        with open(os.path.join(root, "jinja_template", "seed%d.jinja" % i), "wb") as f:
            f.write(text.encode("utf-8"))
    for name, data in ARRAYS.items():
        with open(os.path.join(root, "npy", name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
