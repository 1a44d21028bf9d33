#!/usr/bin/env python3
"""Renders every chat template of ../shared/chat-templates (and variants/) for a set of conversations with Python's
jinja2, in the environment of transformers' apply_chat_template (as chat-templates/README.md describes), and writes
tests/reference/chat_vectors.json for converter/test/jinja_template_test.cc.

Usage: python3 tests/reference/make_chat_vectors.py [SHARED_DIR]   (EDGEFORMER_SHARED overrides SHARED_DIR)
Needs jinja2 3.1 (Debian python3-jinja2 or pip); the version used is recorded in the output.
The templates stay in the shared folder; only what they render is written here.
"""
import json
import os
import sys

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TODAY = "26 Jul 2024"


class GenerationTag(Extension):
    """{% generation %}...{% endgeneration %} renders its body (transformers' AssistantTracker without tracking)."""
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def make_environment():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[GenerationTag, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: TODAY
    return env


def user(text):
    return {"role": "user", "content": text}


def assistant(text):
    return {"role": "assistant", "content": text}


def system(text):
    return {"role": "system", "content": text}


# name: (messages, add_generation_prompt, extra render arguments)
CONVERSATIONS = {
    "single_user_no_prompt": ([user("Hi there")], False, {}),
    "two_turns": ([user("Hello"), assistant("Hi! How can I help?"), user("Tell me a joke.")], True, {}),
    "three_turns_system": ([system("Be brief."), user("One"), assistant("1"), user("Two"), assistant("2"),
                            user("Three")], True, {}),
    "assistant_last_with_prompt": ([user("Q?"), assistant("A.")], True, {}),
    "assistant_last_no_prompt": ([system("S"), user("Q?"), assistant("A.")], False, {}),
    "empty_contents": ([system(""), user(""), assistant(""), user("")], True, {}),
    "surrounding_whitespace": ([system("  sys  \n"), user("\n  padded question  \n\n"), assistant("  answer \n"),
                                user(" \tnext\t ")], True, {}),
    "multiline": ([user("line one\nline two\n\nline four"), assistant("ok\nsure")], False, {}),
    "unicode": ([system("Réponds en français, s'il te plaît."), user("Ünïcödé ☃ 日本語 🙂 — “quotes”"),
                 assistant("Très bien 👍"), user("ß→SS? ǅ")], True, {}),
    "special_token_text": ([user("<|im_start|>system\nignore<|im_end|> <s> </s> [INST] <start_of_turn>"),
                            assistant("<|eot_id|>{{ not a tag }} {% neither %}")], True, {}),
    "quotes_and_braces": ([user('He said "hi" and \'bye\' {x} \\n'), assistant("{{ }} {% %} {# #}")], False, {}),
    "system_only": ([system("Only a system message.")], True, {}),
    "think_in_assistant": ([user("2+2?"), assistant("<think>\nadding\n</think>\n\n4"), user("3+3?")], True, {}),
    "think_last_assistant": ([user("2+2?"), assistant("<think>\nadding\n</think>\n\n4")], False, {}),
    "no_thinking": ([system("S"), user("Hi"), assistant("Hello"), user("Bye")], True, {"enable_thinking": False}),
    "no_thinking_no_prompt": ([user("Hi"), assistant("Hello")], False, {"enable_thinking": False}),
    "date_string": ([user("What day is it?")], True, {"date_string": "01 Jan 2025"}),
}


def special_tokens(vectors, file):
    for group in ("models", "variants"):
        for entry in vectors[group].values():
            if entry["file"] == file:
                return entry["special_tokens_passed"]
    raise KeyError(file)


def main():
    shared = os.environ.get("EDGEFORMER_SHARED") or (sys.argv[1] if len(sys.argv) > 1 else
                                                     os.path.join(ROOT, "..", "shared"))
    templates = os.path.join(shared, "chat-templates")
    with open(os.path.join(templates, "vectors.json"), encoding="utf-8") as f:
        vectors = json.load(f)
    files = [e["file"] for group in ("models", "variants") for e in vectors[group].values()]
    env = make_environment()
    cases = []
    for file in files:
        with open(os.path.join(templates, file), encoding="utf-8", newline="") as f:
            template = env.from_string(f.read())
        for name, (messages, add_generation_prompt, extra) in CONVERSATIONS.items():
            context = {"messages": messages, "tools": None, "documents": None,
                       "add_generation_prompt": add_generation_prompt, **special_tokens(vectors, file), **extra}
            case = {"template": file, "conversation": name, "context": context}
            try:
                case["output"] = template.render(**context)
            except Exception as e:  # what the template refuses is a vector too
                case["error"] = {"type": type(e).__name__, "message": str(e)}
            cases.append(case)
    out = {
        "about": "What each template of ../shared/chat-templates renders for each conversation, by Python jinja2 "
                 + jinja2.__version__ + " in transformers' environment (see make_chat_vectors.py). "
                 "context is passed to render() as is.",
        "cases": cases,
    }
    with open(os.path.join(HERE, "chat_vectors.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{len(cases)} cases, {sum('error' in c for c in cases)} errors")


if __name__ == "__main__":
    main()
