#!/usr/bin/env python3
# check-datasheet.py -- does uapi/linux/busmaster_card.h say what
# docs/card-datasheet.md says?
#
#   vm/check-datasheet.py [DATASHEET HEADER]
#
# The header is the one source of the card's numbers for the driver, the QEMU
# model, its qtests and libbusmaster; the datasheet is what people read. Each
# register, register bit, descriptor field, completion code and halt code of
# the datasheet's tables must be in the header with the same value, and each
# register, completion code and halt code of the header in the datasheet.
# Prints one line per mismatch; exits 1 on any.
import os
import re
import sys

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sheet_path, header_path = (sys.argv[1:3] if len(sys.argv) == 3 else
                           (os.path.join(top, "docs/card-datasheet.md"),
                            os.path.join(top, "uapi/linux/busmaster_card.h")))
errors = []


def fail(msg):
    errors.append(msg)


# --- The header: its defines (name -> value, section) and the descriptor.
defines = {}
section = None
header = open(header_path).read()
for line in header.splitlines():
    if line.startswith("/* "):
        m = re.match(r"/\* (\d+(?:\.\d+)?)\.? ", line)
        section = m.group(1) if m else None
    m = re.match(r"#define\s+(BMC_\w+)\s+(0x[0-9a-fA-F]+|\d+)\b", line)
    if m:
        defines[m.group(1)] = (int(m.group(2), 0), section)

desc = re.search(r"struct bmc_desc \{(.*?)\};", header, re.S)
desc_fields = []
offset = 0
for ty, name in re.findall(r"__le(\d+)\s+(\w+);", desc.group(1) if desc else ""):
    desc_fields.append((offset, int(ty) // 8, name))
    offset += int(ty) // 8


def expect(name, value, where):
    if name not in defines:
        fail(f"{where}: the header has no {name} (the datasheet says {value:#x})")
    elif defines[name][0] != value:
        fail(f"{where}: {name} is {defines[name][0]:#x} in the header, "
             f"{value:#x} in the datasheet")


# --- The datasheet, table row by table row.
seen = set()
sheet_section = None
desc_rows = []
for line in open(sheet_path):
    m = re.match(r"#+ (\d+(?:\.\d+)?)\.? ", line)
    if m:
        sheet_section = m.group(1)
    if not line.startswith("| `"):
        continue
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    where = f"datasheet {sheet_section}"
    if sheet_section and sheet_section.startswith("3."):
        m = re.match(r"`(\+?)0x([0-9A-Fa-f]+)`", cells[0])
        n = re.match(r"`(\w+)`", cells[1])
        if not (m and n):
            continue
        prefix = "BMC_CH_" if m.group(1) else "BMC_"
        reg = n.group(1)
        expect(prefix + reg, int(m.group(2), 16), f"{where} {reg}")
        seen.add(prefix + reg)
        # "bit N `NAME`" in its description: BMC_<REG>_<NAME>; the
        # interrupt causes are BMC_IRQ_<NAME> (IRQ_MASK has the same bits).
        bitprefix = prefix + ("IRQ" if reg == "IRQ_STATUS" else reg) + "_"
        for bit, bname in re.findall(r"bit (\d+) `(\w+)`", cells[-1]):
            expect(bitprefix + bname, 1 << int(bit), f"{where} {reg}.{bname}")
            seen.add(bitprefix + bname)
        reset = re.match(r"`(0x[0-9A-Fa-f]+|\d+)`", cells[3]) if len(cells) > 4 else None
        fixed = {"ID": "BMC_ID_MAGIC", "VERSION": "BMC_VERSION_CURRENT",
                 "DESC_SIZE": "BMC_DESC_BYTES", "RING_MAX": "BMC_RING_MAX_VALUE"}
        if reg in fixed:
            if reset:
                expect(fixed[reg], int(reset.group(1), 0), f"{where} {reg} reset value")
            else:
                fail(f"{where} {reg}: no reset value to check {fixed[reg]} against")
    elif sheet_section == "4":
        m = re.match(r"`0x([0-9A-Fa-f]+)`", cells[0])
        n = re.match(r"`(\w+)`", cells[2])
        if m and n:
            desc_rows.append((int(m.group(1), 16), int(cells[1]), n.group(1)))
            for bit, bname in re.findall(r"bit (\d+) `(\w+)`", cells[-1]):
                expect("BMC_DESC_" + bname, 1 << int(bit), f"{where} {n.group(1)}.{bname}")
    elif sheet_section in ("7.1", "7.2"):
        m = re.match(r"`0x([0-9A-Fa-f]+)`", cells[0])
        n = re.match(r"`(\w+)`", cells[1])
        if m and n:
            name = ("BMC_ST_" if sheet_section == "7.1" else "BMC_") + n.group(1)
            expect(name, int(m.group(1), 16), f"{where} {n.group(1)}")
            seen.add(name)

if desc_rows != desc_fields:
    fail(f"datasheet 4: descriptor fields {desc_rows} but struct bmc_desc has {desc_fields}")

# --- The other way: the header's registers and codes are in the datasheet.
for name, (value, sec) in sorted(defines.items()):
    listed = sec in ("3.1", "3.2", "3.3", "3.4", "3.5", "7.1", "7.2")
    if listed and name not in seen and not re.search(
            r"_(MAJOR|MINOR|CURRENT|MAGIC|SHIFT|CODE|GO|BASE|STRIDE)$|^BMC_HALT_NONE$", name):
        fail(f"header ({sec}): {name} = {value:#x} is not in the datasheet's tables")

for e in errors:
    print(e)
print(f"{len(defines)} defines, {len(seen)} of them in the datasheet's tables, "
      f"{len(desc_fields)} descriptor fields: {len(errors)} mismatches")
sys.exit(1 if errors else 0)
