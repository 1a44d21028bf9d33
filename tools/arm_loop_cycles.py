#!/usr/bin/env python3
"""The ARM kernels' inner loops under llvm-mca: predicted cycles per iteration against the multiply-bound ideal.

    scripts/arm-loop-cycles.sh [--all] [--dump DIR]

configures the kernels for aarch64 and runs this on their compile_commands.json; it prints a markdown table. Each
kernels/arm/*.cc is compiled to assembly by its build command (plus -g, which changes no instruction) and assembled,
so that addr2line gives the source line and the (inlined) function of each instruction. A loop is a label and the
branch back to it. Reported: the innermost loops that hold a SIMD instruction and whose source lines load with a NEON
intrinsic (vld*) or a memcpy, i.e. stream their operands (a tile's epilogue, vectorized by the compiler, does not),
named by the function and the for / while statement they come from. Of the copies of one source loop (split,
versioned, inlined twice) the one with the most multiplies is reported, the first of equals.
"""
import argparse
import collections
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import textwrap

# Published issue rates (instructions a cycle) of the multiply classes:
#   cortex-a55: Arm Cortex-A55 Software Optimization Guide (EPM128372, issue 4.0), sections 4.11 (FP), 4.15 (ASIMD
#     integer) and 4.16 (ASIMD FP): Q-form FMLA / FMUL / SDOT / MUL 1 (D-form 2), by element 1, SMULL / SMLAL 1,
#     scalar FMUL / FMADD 2.
#   cortex-a76 and neoverse-n1: Arm Cortex-A76 Software Optimization Guide (PJDOC-466751330-7215) and Arm Neoverse
#     N1 Software Optimization Guide (PJDOC-466751330-9707), chapter 3 (FP, ASIMD integer and ASIMD FP tables):
#     FMLA / FMUL, vector or scalar, and SDOT 2 (V0 and V1), SMULL / SMLAL 1 (V0), MUL D-form 1, Q-form 1/2 (V0).
# None of the three has i8mm (they are Armv8.2-A): smmla has no rate there.
RATES = {
    'cortex-a55': {'fp': 2, 'simd_q': 1, 'simd_d': 2, 'by_element': 1, 'long': 1, 'imul_q': 1, 'imul_d': 2},
    'cortex-a76': {'fp': 2, 'simd_q': 2, 'simd_d': 2, 'by_element': 2, 'long': 1, 'imul_q': 0.5, 'imul_d': 1},
    'neoverse-n1': {'fp': 2, 'simd_q': 2, 'simd_d': 2, 'by_element': 2, 'long': 1, 'imul_q': 0.5, 'imul_d': 1},
}
# llvm-mca names no model, nor warns when a CPU has none of its own; the resources of the model it uses say which.
MODELS = {'CortexA55Unit': 'cortex-a55', 'A57Unit': 'cortex-a57', 'A53Unit': 'cortex-a53'}
ITERATIONS = 200
# Attention is instantiated for every head of 4 to 128 floats: heads of 64 and 128 stand for them.
SKIP = re.compile(r"attend(_one)?<(?!(16|32)\b)")

BRANCH = re.compile(r'(b(\.?[a-z]{2})?|cbn?z|tbn?z)$')
SIMD = re.compile(r'\bv\d+\.\d*[bhsd]\b|\bq\d+\b')
FP_MUL = re.compile(r'f(n?mul|mulx|n?madd|n?msub|ml[as])$')
LONG_MUL = re.compile(r'(sqd|[su])(mull|ml[as]l)2?$')
INT_MUL = re.compile(r'(mul|ml[as])$')
DOT = re.compile(r'(u|s|us|su)dot$')
MMLA = re.compile(r'(u|s|us)mmla$')
HOT_SOURCE = re.compile(r'\bvld\d\w*\s*\(|\bmemcpy\s*\(')
LOOP_STATEMENT = re.compile(r'\b(for|while)\s*\(')


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(f'arm_loop_cycles: {shlex.join(command)} failed:\n{result.stderr}')
    return result.stdout


def multiply_class(insn):
    """The issue-rate class (a RATES key, or 'i8mm') of a SIMD&FP multiply; None for anything else."""
    mnemonic, _, operands = insn.partition(' ')
    vector = SIMD.search(operands) is not None
    by_element = operands.rstrip().endswith(']')
    q_form = re.match(r'\s*v\d+\.(4s|2d|8h|16b)\b', operands) is not None
    if MMLA.match(mnemonic):
        return 'i8mm'
    if LONG_MUL.match(mnemonic):
        return 'long'
    if DOT.match(mnemonic) or (FP_MUL.match(mnemonic) and vector):
        return 'by_element' if by_element else 'simd_q' if q_form else 'simd_d'
    if FP_MUL.match(mnemonic):
        return 'fp' if re.match(r'\s*[hsd]\d', operands) else None
    if INT_MUL.match(mnemonic) and vector:
        return 'by_element' if by_element else 'imul_q' if q_form else 'imul_d'
    return None


def parse_functions(asm):
    """symbol -> items of a GCC assembly file's function: ('label', name, asm line) or ('insn', text, asm line)."""
    functions, current = collections.OrderedDict(), None
    for number, line in enumerate(asm.splitlines()):
        match = re.match(r'\t\.type\s+([^,]+),\s*%function', line)
        if match:
            current = functions.setdefault(match.group(1), [])
        elif current is None:
            continue
        elif re.match(r'\t\.size\s', line):
            current = None
        elif re.match(r'\.L\w+:$', line):
            current.append(('label', line[:-1], number))
        elif line.startswith('\t') and not line.startswith('\t.'):
            current.append(('insn', ' '.join(line.split()), number))
    return functions


def innermost_loops(items):
    """(first, last) item indexes of every label .. branch back to it that holds no other loop."""
    labels, loops = {}, []
    for index, (kind, text, _) in enumerate(items):
        if kind == 'label':
            labels[text] = index
        elif BRANCH.match(text.split()[0]) and text.split()[-1] in labels:
            loops.append((labels[text.split()[-1]], index))
    # A region that leaves other than by a conditional branch (a return or a jump laid out inside it) is no body.
    straight = [(first, last) for first, last in loops
                if not any(kind == 'insn' and re.match(r'(ret|br?) ', text + ' ')
                           for kind, text, _ in items[first:last])]
    return [loop for loop in straight
            if not any(other != loop and loop[0] <= other[0] and other[1] <= loop[1] for other in loops)]


def inline_chains(asm_path, asm, lines, triplet):
    """asm line -> [(function, file, line)] from the innermost inlined frame out, through an object and addr2line.

    The asm lines get labels of their own, kept in the object by `as -L` (addr2line then names some frames by the
    nearest such label: loop_owner mends them)."""
    marked = asm.splitlines()
    for n, line in enumerate(lines):
        marked[line] = f'.Lmca_{n}:\n{marked[line]}'
    object_path = asm_path[:-2] + '.marked.o'
    with open(asm_path[:-2] + '.marked.s', 'w') as out:
        out.write('\n'.join(marked) + '\n')
    run([f'{triplet}-as', '-L', '-o', object_path, asm_path[:-2] + '.marked.s'])
    by_section = collections.defaultdict(list)
    for entry in run([f'{triplet}-objdump', '-t', object_path]).splitlines():
        match = re.match(r'([0-9a-f]+)\s.*\s(\S+)\s+[0-9a-f]+\s+\.Lmca_(\d+)$', entry)
        if match:
            by_section[match.group(2)].append((int(match.group(1), 16), lines[int(match.group(3))]))
    chains = {}
    for section, marks in by_section.items():
        output = run([f'{triplet}-addr2line', '-a', '-f', '-i', '-C', '-j', section, '-e', object_path]
                     + [hex(address) for address, _ in marks])
        for (_, line), block in zip(marks, re.split(r'^0x[0-9a-f]+\n', output, flags=re.M)[1:]):
            frames = block.splitlines()
            chain = []
            for function, position in zip(frames[0::2], frames[1::2]):
                path, _, number = position.partition(' ')[0].rpartition(':')
                chain.append((function, path, int(number) if number.isdigit() else 0))
            chains[line] = chain
    return chains


class Sources:
    """Lines of the project's kernel sources ('' for any other file)."""

    def __init__(self, kernels):
        self.kernels, self.files, self.spans = kernels + '/', {}, {}

    def line(self, path, number):
        if not path.startswith(self.kernels):
            return ''
        if path not in self.files:
            with open(path) as f:
                self.files[path] = f.read().splitlines()
        lines = self.files[path]
        return lines[number - 1] if 0 < number <= len(lines) else ''

    def loops(self, path):
        if path not in self.spans:
            self.spans[path] = loop_statements(self.files[path]) if self.line(path, 1) else []
        return self.spans[path]


def loop_statements(lines):
    """(first line, last line) of every for / while statement of a source file, 1-based."""
    text = re.sub(r'//.*', lambda m: ' ' * len(m.group(0)), '\n'.join(lines))
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == '\n']

    def line_of(offset):
        return next(n for n in range(len(starts), 0, -1) if starts[n - 1] <= offset)

    spans = []
    for match in LOOP_STATEMENT.finditer(text):
        depth, i = 0, match.end() - 1
        while True:  # the header's parentheses
            depth += {'(': 1, ')': -1}.get(text[i], 0)
            i += 1
            if depth == 0:
                break
        while text[i].isspace():
            i += 1
        closing, depth = ('}', 0) if text[i] == '{' else (';', 0)
        while True:  # the body: a block, or one statement (which may be another loop)
            c = text[i]
            if closing == '}':
                depth += {'{': 1, '}': -1}.get(c, 0)
                if depth == 0:
                    break
            else:
                depth += {'(': 1, ')': -1, '{': 1, '}': -1}.get(c, 0)
                if c == ';' and depth == 0:
                    break
            i += 1
        spans.append((line_of(match.start()), line_of(i)))
    return spans


def loop_owner(chains, symbol, sources, cache_types):
    """(function, file, line) of the source loop of a loop's instructions (their inline chains, innermost frame
    first): the deepest function all of them are in, and its innermost for / while that holds the most of their
    lines there (a few can come from code the compiler moved in)."""
    # addr2line names some frames by the nearest label instead: the name at the same inlining depth elsewhere fixes
    # them; the outermost is the assembly's function.
    depth_names = collections.defaultdict(collections.Counter)
    for chain in chains:
        for depth, (function, _, _) in enumerate(reversed(chain)):
            if not function.startswith('.L'):
                depth_names[depth][function] += 1
    paths = [[(depth_names[d].most_common(1)[0][0] if f.startswith('.L') and depth_names[d] else f, p)
              for d, (f, p, _) in enumerate(reversed(chain))] for chain in chains]
    for path in paths:
        path[0] = (symbol, path[0][1])
    depth = 0
    while all(len(path) > depth + 1 for path in paths) and len({path[depth + 1] for path in paths}) == 1:
        depth += 1
    function, file = paths[0][depth]
    lines = [chain[len(chain) - 1 - depth][2] for chain in chains]
    held = [(sum(first <= line <= last for line in lines), first - last, first) for first, last in sources.loops(file)]
    line = max(held)[2] if held and max(held)[0] else lines[-1]
    name = kernel_name(function, cache_types)
    if (function.startswith('.L') or name == 'operator') and depth > 0:
        name = kernel_name(paths[0][depth - 1][0], cache_types) + ' lambda'
    return name, file, line


def kernel_name(function, cache_types):
    name = re.sub(r'edgeformer::kernels::|\(anonymous namespace\)::|^void ', '', function)
    name = re.sub(r'\((edgeformer::)?KvCacheType\)(\d)', lambda m: cache_types.get(m.group(2), m.group(2)), name)
    name = re.sub(r'\(.*\)( const)?$', '', name)
    return re.sub(r'(\d+)ul\b', r'\1', name).replace(', ', ',')


def analyse(entry, root, args, cache_types):
    """The reported loops of one kernel file: (owner, file, line) -> body, multiplies, calls, -mattr."""
    command = shlex.split(entry['command'])
    index = command.index('-o')
    del command[index:index + 2]
    command.remove('-c')
    name = os.path.splitext(os.path.basename(entry['file']))[0]
    asm_path = os.path.join(args.work, name + '.s')
    run(command + ['-g', '-S', '-o', asm_path], cwd=entry['directory'])
    with open(asm_path) as f:
        asm = f.read()
    mattr = {'neon': '+neon', 'dotprod': '+dotprod', 'i8mm': '+dotprod,+i8mm'}[name.rsplit('_', 1)[1]]
    functions = parse_functions(asm)
    # Calls to loop-free functions of the same file are spliced into the loop (as if inlined); any other call
    # llvm-mca cannot follow (it charges 100 cycles for it), so it is dropped from the loop, and named.
    leaves = {symbol: [text for kind, text, _ in items if kind == 'insn' and text != 'ret']
              for symbol, items in functions.items()
              if not innermost_loops(items) and not any(t.startswith('bl ') for _, t, _ in items)}
    candidates = [(symbol, items, first, last) for symbol, items in functions.items()
                  for first, last in innermost_loops(items)
                  if any(kind == 'insn' and SIMD.search(text) for kind, text, _ in items[first:last + 1])]
    lines = sorted({n for _, items, first, last in candidates for kind, _, n in items[first:last + 1]
                    if kind == 'insn'})
    chains = inline_chains(asm_path, asm, lines, args.triplet)
    sources = Sources(os.path.join(root, 'kernels'))
    reported = collections.OrderedDict()
    for symbol, items, first, last in candidates:
        insns = [(text, n) for kind, text, n in items[first:last + 1] if kind == 'insn']
        owner = loop_owner([chains[n] for _, n in insns], run(['c++filt'], input=symbol).strip(), sources, cache_types)
        if SKIP.search(owner[0]):
            continue
        body_sources = {sources.line(*frame[1:]) for _, n in insns for frame in chains[n]}
        if not (args.all or any(HOT_SOURCE.search(text) for text in body_sources)):
            continue
        body, calls, spliced = [], [], []
        for text, _ in insns:
            if not text.startswith('bl '):
                body.append(text)
                continue
            callee = text.split()[1]
            name = kernel_name(run(['c++filt'], input=callee).strip(), cache_types)
            if callee in leaves:
                body += leaves[callee]
                spliced.append(name)
            else:
                calls.append(name)
        multiplies = [m for m in map(multiply_class, body) if m]
        key = (owner[0], os.path.relpath(owner[1], root), owner[2])
        if key not in reported or len(reported[key]['multiplies']) < len(multiplies):
            reported[key] = {'body': body, 'multiplies': multiplies, 'calls': calls, 'spliced': spliced,
                             'mattr': mattr}
    return reported


def mca(body, cpu, mattr, tool):
    """Cycles per iteration over ITERATIONS, and the block's reciprocal throughput."""
    with tempfile.NamedTemporaryFile('w', suffix='.s') as source:
        source.write('\n'.join(body) + '\n')
        source.flush()
        text = run([tool, '-mtriple=aarch64-linux-gnu', f'-mcpu={cpu}', f'-mattr={mattr}',
                    f'-iterations={ITERATIONS}', source.name])
    cycles = int(re.search(r'Total Cycles:\s+(\d+)', text).group(1))
    return cycles / ITERATIONS, float(re.search(r'Block RThroughput:\s+([\d.]+)', text).group(1))


def model_of(cpu, tool):
    """The core whose scheduling model llvm-mca uses for cpu."""
    text = run([tool, '-mtriple=aarch64-linux-gnu', f'-mcpu={cpu}', '-iterations=1'],
               input='fmla v0.4s, v1.4s, v2.4s\n')
    resource = re.search(r'\[[\d.]+\]\s+-\s+(\w+)', text.split('Resources:')[1]).group(1)
    for prefix, model in MODELS.items():
        if resource.startswith(prefix):
            return model
    sys.exit(f'arm_loop_cycles: which model has the resource {resource} ({cpu})?')


def published_ideal(multiplies, rates):
    if not multiplies or any(m not in rates for m in multiplies):
        return None
    return sum(1 / rates[m] for m in multiplies)


def number(value):
    return '-' if value is None else f'{value:.1f}' if value < 100 else f'{value:.0f}'


def ratio(cycles, ideal):
    return '-' if not ideal else f'{cycles / ideal:.2f}'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--compile-commands', required=True)
    parser.add_argument('--work', required=True, help='folder for the assembly and objects')
    parser.add_argument('--mca', default='llvm-mca-14')
    parser.add_argument('--triplet', default='aarch64-linux-gnu')
    parser.add_argument('--cores', default='cortex-a55,cortex-a76,neoverse-n1')
    parser.add_argument('--all', action='store_true', help='every innermost SIMD loop, hot or not')
    parser.add_argument('--dump', help='folder to write each loop body to, as llvm-mca reads it')
    args = parser.parse_args()
    args.work = os.path.abspath(args.work)
    root = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
    with open(os.path.join(root, 'kernels/include/edgeformer/kernels/attention.h')) as f:
        enum = re.search(r'enum class KvCacheType \{([^}]*)\}', f.read()).group(1)
    cache_types = {value.strip(): key.strip()[1:].lower() for key, value in (e.split('=') for e in enum.split(','))}
    with open(args.compile_commands) as f:
        entries = sorted((e for e in json.load(f) if re.search(r'/kernels/arm/\w+\.cc$', e['file'])),
                         key=lambda e: e['file'])
    loops = collections.OrderedDict()
    for entry in entries:
        loops.update(analyse(entry, root, args, cache_types))

    # A column group per scheduling model. Cores without a model of their own share the stand-in's group: their
    # published ideal is shown, and the ratio is against the stand-in's own rates (the Block RThroughput of the
    # multiplies alone under it), so that it measures the loop, not the difference between the cores.
    models = collections.OrderedDict()
    for core in args.cores.split(','):
        models.setdefault(model_of(core, args.mca), []).append(core)
    for model, cores in models.items():
        if any(RATES.get(core) != RATES.get(cores[0]) for core in cores):
            sys.exit(f'arm_loop_cycles: {", ".join(cores)} share the {model} model but not their rates')
    short = {core: re.sub(r'^(cortex|neoverse)-', '', core) for group in models.values() for core in group}
    short.update({model: re.sub(r'^(cortex|neoverse)-', '', model) for model in models})
    header = ['loop', 'insns', 'multiplies']
    for model, cores in models.items():
        if model in cores:
            header += [f'{short[model]} ideal', 'mca', 'ratio']
        else:
            header += [f'{" = ".join(short[c] for c in cores)} ideal', f'{short[model]} model ideal', 'mca', 'ratio']
    print('| ' + ' | '.join(header) + ' |')
    print('|' + ' --- |' * len(header))
    for (owner, path, line), loop in loops.items():
        if args.dump:
            with open(os.path.join(args.dump, re.sub(r'\W+', '_', f'{owner}_{line}') + '.s'), 'w') as out:
                out.write('\n'.join(loop['body']) + '\n')
        counts = collections.Counter(text.split()[0] for text in loop['body'] if multiply_class(text))
        label = f'{owner} {os.path.splitext(os.path.basename(path))[0]}:{line}'
        if loop['spliced']:
            label += f' (+{", ".join(sorted(set(loop["spliced"])))})'
        label += ''.join(f' +{call}' for call in sorted(set(loop['calls'])))
        row = [label, str(len(loop['body'])), ' '.join(f'{n} {m}' for m, n in sorted(counts.items())) or '-']
        for model, cores in models.items():
            cycles = mca(loop['body'], model, loop['mattr'], args.mca)[0]
            ideal = published_ideal(loop['multiplies'], RATES.get(cores[0], {}))
            if model in cores:
                row += [number(ideal), number(cycles), ratio(cycles, ideal)]
            else:
                multiplies = [text for text in loop['body'] if multiply_class(text)]
                own = mca(multiplies, model, loop['mattr'], args.mca)[1] if multiplies else None
                row += [number(ideal), number(own), number(cycles), ratio(cycles, own)]
        print('| ' + ' | '.join(row) + ' |')
    version = re.search(r'LLVM version ([\d.]+)', run([args.mca, '--version'])).group(1)
    print()
    notes = [f'Loop: function, source file:line of its for / while. Cycles a loop iteration: llvm-mca {version} over '
             f'{ITERATIONS} iterations; ideal: its multiplies at the core\'s published issue rate.']
    for model, cores in models.items():
        for core in cores:
            if core == model:
                notes.append(f'{short[core]}: {core}, with an LLVM {version} scheduling model of its own.')
            else:
                notes.append(f'{short[core]}: {core}, for which LLVM {version} has no scheduling model (llvm-mca '
                             f'silently uses {model}\'s): the {model} model is used, its ratio against that '
                             'model\'s own rates for the same multiplies.')
    if any('i8mm' in loop['multiplies'] for loop in loops.values()):
        notes.append('smmla: none of these cores has i8mm (they are Armv8.2-A), so no ideal; llvm-mca times it by '
                     'what its model says of the instruction.')
    if any(loop['spliced'] for loop in loops.values()):
        notes.append('(+f): the loop calls f, a loop-free function of the same file, counted as if inlined.')
    if any(loop['calls'] for loop in loops.values()):
        notes.append('+f: the loop calls f, which llvm-mca cannot follow: the call is left out of the count.')
    for note in notes:
        print(textwrap.fill(note, 120, initial_indent='- ', subsequent_indent='  '))


if __name__ == '__main__':
    main()
