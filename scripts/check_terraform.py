#!/usr/bin/env python3
"""Validates terraform/ offline, where Terraform cannot download providers:

- every .tf file parses as HCL2 (python-hcl2);
- every module call points at a module folder, passes only variables the
  module declares and every variable it requires;
- every `var.`, `local.`, `module.<m>.<output>`, `data.<type>.<name>` and
  resource reference names something declared in its folder;
- every declared variable is used.

Usage: check_terraform.py TERRAFORM_DIR
"""
import pathlib
import re
import sys

import hcl2

META_ARGUMENTS = {"source", "providers", "count", "for_each", "depends_on", "version"}
PARSER_KEYS = {"__start_line__", "__end_line__"}


def parse_folder(folder):
    """Merged blocks of every .tf file of `folder`, and its source text without comments."""
    blocks, text = {}, []
    for path in sorted(folder.glob("*.tf")):
        source = path.read_text(encoding="utf-8")
        try:
            parsed = hcl2.loads(source)
        except Exception as error:  # the parser raises several types
            raise SystemExit(f"{path}: not valid HCL2: {error}")
        for kind, entries in parsed.items():
            blocks.setdefault(kind, []).extend(entries)
        text.append(re.sub(r"(?m)^\s*#.*$", "", source))
    return blocks, "\n".join(text)


def labelled(blocks, kind):
    """name -> body for single-label blocks (variable, output, module)."""
    return {name: body for entry in blocks.get(kind, []) for name, body in entry.items()}


def typed(blocks, kind):
    """(type, name) pairs of two-label blocks (resource, data)."""
    return {(t, n) for entry in blocks.get(kind, []) for t, names in entry.items() for n in names}


def check_folder(folder, problems):
    blocks, text = parse_folder(folder)
    variables = labelled(blocks, "variable")
    locals_ = {k for entry in blocks.get("locals", []) for k in entry if k not in PARSER_KEYS}
    modules = labelled(blocks, "module")
    resources = typed(blocks, "resource")
    data = typed(blocks, "data")
    where = folder.as_posix()

    for name in sorted(set(re.findall(r"\bvar\.([a-z0-9_]+)", text))):
        if name not in variables:
            problems.append(f"{where}: var.{name} is not declared")
    for name in sorted(variables):
        if f"var.{name}" not in text:
            problems.append(f"{where}: variable {name} is never used")
    for name in sorted(set(re.findall(r"\blocal\.([a-z0-9_]+)", text))):
        if name not in locals_:
            problems.append(f"{where}: local.{name} is not declared")
    for kind, name in sorted(set(re.findall(r"\bdata\.([a-z0-9_]+)\.([a-z0-9_]+)", text))):
        if (kind, name) not in data:
            problems.append(f"{where}: data.{kind}.{name} is not declared")
    for kind, name in sorted(set(re.findall(r"(?<![.\w])((?:aws|random)_[a-z0-9_]+)\.([a-z0-9_]+)", text))):
        if (kind, name) not in resources:
            problems.append(f"{where}: resource {kind}.{name} is not declared")

    for module, body in modules.items():
        source = body["source"][0] if isinstance(body["source"], list) else body["source"]
        target = (folder / source).resolve()
        if not target.is_dir() or not list(target.glob("*.tf")):
            problems.append(f"{where}: module {module}: no module at {source}")
            continue
        module_blocks, _ = parse_folder(target)
        declared = labelled(module_blocks, "variable")
        passed = {k for k in body if k not in META_ARGUMENTS | PARSER_KEYS}
        for name in sorted(passed - set(declared)):
            problems.append(f"{where}: module {module} passes {name}, which {source} does not declare")
        for name, spec in sorted(declared.items()):
            if "default" not in spec and name not in passed:
                problems.append(f"{where}: module {module} does not pass the required {name}")
        outputs = labelled(module_blocks, "output")
        for output in sorted(set(re.findall(rf"\bmodule\.{module}\.([a-z0-9_]+)", text))):
            if output not in outputs:
                problems.append(f"{where}: module.{module}.{output} is not an output of {source}")
        check_folder(target, problems)
    for module in sorted(set(re.findall(r"\bmodule\.([a-z0-9_]+)\.", text)) - set(modules)):
        problems.append(f"{where}: module.{module} is not declared")


def main():
    root = pathlib.Path(sys.argv[1])
    problems = []
    check_folder(root, problems)
    files = len(list(root.rglob("*.tf")))
    if problems:
        print("\n".join(sorted(set(problems))))
        raise SystemExit(f"terraform: {len(set(problems))} problems in {files} files")
    print(f"terraform: {files} files parse as HCL2; every module, variable, output, local and resource reference resolves")


if __name__ == "__main__":
    main()
