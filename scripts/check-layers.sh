#!/usr/bin/env bash
# check-layers.sh - checks that the sources of src/ keep to the layers of src/layers.txt.
#
# Usage: check-layers.sh LAYERS_FILE SRC_DIR OBJ_DIR
#
# Each folder of src/ is a layer, and LAYERS_FILE says which layers each one may use (the
# lists are explicit, not transitive; a layer may always use itself). Two kinds of edge
# between files are checked against it:
#   1. includes: every `#include "..."` of every .c and .h under SRC_DIR. The included path
#      is resolved as the compiler does: next to the including file first, then relative to
#      SRC_DIR (so "tcp/tcp.h" is src/tcp/tcp.h and a bare "ring.h" is in the includer's own
#      folder). Headers under synack/ are the public ones of include/ and are always allowed.
#      An `#include <...>` counts too when it names a file of SRC_DIR (<tcp/tcp.h>), so that
#      angle brackets are no way around the rule; other <...> are system headers.
#   2. symbols: every object file under OBJ_DIR (recursively) whose path has a src/FOLDER/FILE
#      part, as CMake's CMakeFiles/TARGET.dir/src/tcp/tcp_in.c.o has, stands for that source.
#      `nm` gives each object's defined global symbols and its undefined ones; an undefined
#      symbol that another source's object defines is an edge from the one to the other.
#      A symbol no object of src/ defines (libc, the sanitizer runtimes) is no edge, and names
#      beginning with "__" (reserved for the compiler and its runtimes) are not looked at.
#      The same source built into two targets counts once.
# Includes catch what the preprocessor pulls in (macros, static inline functions, types);
# symbols catch what the linker joins, even with a prototype written by hand.
#
# Reading a failure: each line names the file, what it uses, and the rule it breaks:
#   layering: src/wire/x.c includes tcp/tcp.h (wire may not use tcp)
#   layering: src/table/timer_heap.c calls tcb_next_deadline (defined in src/tcp/tcp_timer.c; table may not use tcp)
# A folder of src/ that LAYERS_FILE does not declare, or a declared folder that does not
# exist, is a failure too, so that the declaration and the tree cannot drift apart.
# Objects whose source no longer exists (left behind in a build directory after a file was
# moved) are skipped with a note on stderr, as are sources with no object at all.
#
# Exit status: 0 and a one-line summary when every edge is allowed; 1 and one line per
# violation otherwise; 2 when the check cannot run (bad arguments, unreadable layers file).
set -euo pipefail

if [ $# -ne 3 ]; then
    echo "usage: $0 LAYERS_FILE SRC_DIR OBJ_DIR" >&2
    exit 2
fi
layers_file=$1
src_dir=${2%/}
obj_dir=${3%/}
for d in "$src_dir" "$obj_dir"; do
    [ -d "$d" ] || { echo "layering: $d is not a directory" >&2; exit 2; }
done
[ -r "$layers_file" ] || { echo "layering: cannot read $layers_file" >&2; exit 2; }
command -v nm >/dev/null || { echo "layering: nm (binutils) is missing" >&2; exit 2; }
layers_name=$(basename "$layers_file")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The declaration, checked on its own first: every other step trusts it. Written out as
# "name folder use..." with comments and blank lines gone. A cycle in the may-use relation
# would make it no layering at all, so it is refused too.
if ! awk -v file="$layers_file" '
    { sub(/#.*/, "") }
    NF == 0 { next }
    NF < 3 { printf "layering: %s:%d: want NAME FOLDER MAY-USE... (\"-\" for none)\n", file, NR > "/dev/stderr"; bad = 1; next }
    {
        name = $1; folder = $2; sub(/^\.\//, "", folder); sub(/\/+$/, "", folder)
        if (name in line_of) { printf "layering: %s:%d: layer %s declared twice\n", file, NR, name > "/dev/stderr"; bad = 1 }
        if (folder in folder_of) { printf "layering: %s:%d: folder %s declared twice\n", file, NR, folder > "/dev/stderr"; bad = 1 }
        line_of[name] = NR; folder_of[folder] = name; order[++n] = name
        out[name] = name " " folder
        if (folder == "" || folder ~ /(^|\/)\.\.(\/|$)/) { printf "layering: %s:%d: folder %s is not inside src/\n", file, NR, $2 > "/dev/stderr"; bad = 1 }
        for (i = 3; i <= NF; i++) {
            if ($i == "-") continue
            uses[name, ++nuses[name]] = $i
            out[name] = out[name] " " $i
        }
    }
    function visit(a,    i, b) {
        if (state[a] == 2) return 0
        if (state[a] == 1) return 1
        state[a] = 1
        for (i = 1; i <= nuses[a]; i++) {
            b = uses[a, i]
            if (b != a && visit(b)) { if (!cycle) cycle = a; return 1 }
        }
        state[a] = 2
        return 0
    }
    END {
        for (k = 1; k <= n; k++)
            for (i = 1; i <= nuses[order[k]]; i++)
                if (!(uses[order[k], i] in line_of)) {
                    printf "layering: %s:%d: layer %s may use %s, which is not declared\n", file, line_of[order[k]], order[k], uses[order[k], i] > "/dev/stderr"
                    bad = 1
                }
        if (!bad)
            for (k = 1; k <= n; k++)
                if (visit(order[k])) { printf "layering: %s: the may-use lists have a cycle through %s\n", file, cycle > "/dev/stderr"; bad = 1; break }
        if (n == 0) { printf "layering: %s declares no layer\n", file > "/dev/stderr"; bad = 1 }
        if (bad) exit 1
        for (k = 1; k <= n; k++) print out[order[k]]
    }' "$layers_file" > "$tmp/layers"; then
    exit 2
fi

# A declared folder that does not exist is a violation: the tree has not caught up with the
# declaration (or the declaration names a folder that was since removed).
: > "$tmp/missing"
while read -r name folder _; do
    [ -d "$src_dir/$folder" ] || echo "layer $name is declared in $layers_name but src/$folder/ does not exist" >> "$tmp/missing"
done < "$tmp/layers"

# The sources, as paths relative to SRC_DIR, and their quoted includes as "file:line:text".
(cd "$src_dir" && find . -type f \( -name '*.c' -o -name '*.h' \) | sed 's|^\./||' | LC_ALL=C sort) > "$tmp/files"
: > "$tmp/includes"
if [ -s "$tmp/files" ]; then
    # grep finding nothing in a batch is no error, hence the `|| true`; a real error (an
    # unreadable file) still says so on stderr.
    (cd "$src_dir" && tr '\n' '\0' < "$tmp/files" |
        xargs -0 grep -HnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*["<]' -- > "$tmp/includes") || true
fi

# The objects of src/: "object<TAB>source" for each whose source still exists. The first
# src/ component of the object's path relative to OBJ_DIR starts the source's path, so a
# target named like a folder cannot confuse it; CMake appends .o to the whole file name
# (x.c.o), a plain Makefile replaces the .c (x.o), and both are understood.
(cd "$obj_dir" && find . -type f -name '*.o' | sed 's|^\./||' | LC_ALL=C sort) |
    awk -v src_dir="$src_dir" '
        {
            obj = $0
            if (!match(obj, /(^|\/)src\//)) next
            rel = substr(obj, RSTART + RLENGTH)
            if (rel ~ /\.c\.o$/) sub(/\.o$/, "", rel); else sub(/\.o$/, ".c", rel)
            print obj "\t" rel
        }' > "$tmp/objects.all"
: > "$tmp/objects"
while IFS=$'\t' read -r obj rel; do
    if [ -f "$src_dir/$rel" ]; then
        printf '%s\t%s\n' "$obj" "$rel" >> "$tmp/objects"
    else
        echo "layering: note: $obj_dir/$obj has no source src/$rel any more (a stale object?); skipped" >&2
    fi
done < "$tmp/objects.all"
if [ ! -s "$tmp/objects" ]; then
    echo "layering: no object file of src/ under $obj_dir (build first, or name the build directory)"
    exit 1
fi

# One nm for all objects: "object: symbol TYPE [value size]", where TYPE U, w or v is an
# undefined reference and any other letter a definition.
(cd "$obj_dir" && cut -f1 "$tmp/objects" | tr '\n' '\0' | xargs -0 nm -A -g --format=posix --) > "$tmp/symbols"

# Everything else is one awk program over the four lists; the file is told apart by FILENAME.
# Violations go to stdout, sorted; the counts come last, on a line of their own.
awk -v layers_name="$layers_name" -v files_list="$tmp/files" -v missing_list="$tmp/missing" -v layers_list="$tmp/layers" \
    -v includes_list="$tmp/includes" -v objects_list="$tmp/objects" -v symbols_list="$tmp/symbols" '
    # The layer of a path relative to src/: the longest declared folder it lies in, or "".
    function layer_of(path,    f, best, bestlen) {
        best = ""; bestlen = -1
        for (f in layer_of_folder)
            if (index(path "/", f "/") == 1 && length(f) > bestlen) { best = layer_of_folder[f]; bestlen = length(f) }
        return best
    }
    function allowed(a, b) { return a == b || ((a, b) in may_use) }
    # "a/./b/../c" -> "a/c"; a path that climbs out of src/ keeps its leading "..".
    function normalize(path,    parts, n, i, out, k, j, res) {
        n = split(path, parts, "/"); k = 0
        for (i = 1; i <= n; i++) {
            if (parts[i] == "" || parts[i] == ".") continue
            if (parts[i] == ".." && k > 0 && out[k] != "..") { k--; continue }
            out[++k] = parts[i]
        }
        res = ""
        for (j = 1; j <= k; j++) res = res (j > 1 ? "/" : "") out[j]
        return res
    }
    function dirname(path) { return sub(/\/[^\/]*$/, "", path) ? path : "" }
    # The folder a path of src/ lies in, for the messages about undeclared folders.
    function top(path) { return sub(/\/[^\/]*$/, "", path) ? path : "." }

    FILENAME == layers_list {
        layer_of_folder[$2] = $1
        for (i = 3; i <= NF; i++) may_use[$1, $i] = 1
        next
    }
    FILENAME == missing_list { violation["0 " $0] = 1; next }
    FILENAME == files_list {
        exists[$0] = 1; nfiles++
        l = layer_of($0)
        if (l == "") { t = top($0); if (!(t in undeclared)) undeclared[t] = 0; undeclared[t]++ }
        else if ($0 ~ /\.c$/) is_source[$0] = 1
        next
    }
    FILENAME == includes_list {
        # "file:line:text"; the file names come from find and hold no colon.
        file = $0; sub(/:.*/, "", file)
        text = $0; sub(/^[^:]*:[0-9]+:/, "", text)
        from = layer_of(file)
        if (from == "") next                          # its folder is reported once, below
        if (match(text, /#[ \t]*include[ \t]*"[^"]*"/)) {
            inc = substr(text, RSTART, RLENGTH); sub(/^[^"]*"/, "", inc); sub(/"$/, "", inc)
            if (inc ~ /^synack\//) next                # a public header of include/
            dir = dirname(file)
            target = normalize((dir == "" ? "" : dir "/") inc)
            if (!(target in exists))
                if (index(inc, "/") || (normalize(inc) in exists)) target = normalize(inc)
        } else if (match(text, /#[ \t]*include[ \t]*<[^>]*>/)) {
            # <...> is searched in the include path only, never next to the includer. It is
            # an edge only when it names a file of src/ (-I src makes <tcp/tcp.h> work too);
            # anything else is a system header.
            inc = substr(text, RSTART, RLENGTH); sub(/^[^<]*</, "", inc); sub(/>$/, "", inc)
            target = normalize(inc)
            if (inc ~ /^synack\// || !(target in exists)) next
        } else next
        include_edges++
        to = layer_of(target)
        if (to == "") {
            # A header in an undeclared folder that exists is reported with the folder.
            if (target ~ /^\.\./ || !(top(target) in undeclared))
                violation["1 src/" file " includes " inc " (" target " is in no layer of " layers_name ")"] = 1
            next
        }
        if (!allowed(from, to))
            violation["1 src/" file " includes " inc " (" from " may not use " to ")"] = 1
        next
    }
    FILENAME == objects_list {
        split($0, f, "\t"); source_of[f[1]] = f[2]; has_object[f[2]] = 1
        next
    }
    FILENAME == symbols_list {
        i = 0; p = 0
        while ((i = index(substr($0, p + 1), ": ")) > 0) p += i
        if (p == 0) next
        obj = substr($0, 1, p - 1)
        nf = split(substr($0, p + 2), w, " ")
        if (nf < 2 || !(obj in source_of)) next
        sym = w[1]; type = w[2]; src = source_of[obj]
        if (sym ~ /^__/) next
        if (type == "U" || type == "w" || type == "v") { refs[src, sym] = 1; next }
        if (!((sym, src) in defined_in)) { defined_in[sym, src] = 1; definers[sym] = definers[sym] " " src }
        kind[sym, src] = (type ~ /^[TtWi]$/) ? "calls" : "uses"
        next
    }
    END {
        for (t in undeclared)
            violation["0 src/" (t == "." ? "" : t "/") " (" undeclared[t] " files) is in no layer of " layers_name "; declare its layer"] = 1
        for (key in refs) {
            split(key, rk, SUBSEP); src = rk[1]; sym = rk[2]
            if (!(sym in definers)) continue         # libc and friends
            n = split(definers[sym], ds, " ")
            for (j = 1; j <= n; j++) {
                d = ds[j]
                if (d == src) continue
                symbol_edges++
                from = layer_of(src); to = layer_of(d)
                if (from == "" || to == "") continue   # reported with the folder
                if (!allowed(from, to))
                    violation["1 src/" src " " kind[sym, d] " " sym " (defined in src/" d "; " from " may not use " to ")"] = 1
            }
        }
        for (s in is_source)
            if (!(s in has_object)) print "layering: note: src/" s " has no object under the object directory; its symbols were not checked" > "/dev/stderr"
        for (v in violation) { print v | "LC_ALL=C sort | cut -c3-"; nv++ }
        close("LC_ALL=C sort | cut -c3-")
        printf "counts %d %d %d %d\n", nfiles, include_edges, symbol_edges, nv
    }' "$tmp/layers" "$tmp/missing" "$tmp/files" "$tmp/includes" "$tmp/objects" "$tmp/symbols" > "$tmp/report"

read -r _ nfiles ninc nsym nviol < <(tail -n 1 "$tmp/report")
if [ "$nviol" -eq 0 ]; then
    echo "layering: $nfiles files, $ninc include edges, $nsym symbol edges, no upward edge"
    exit 0
fi
sed '$d' "$tmp/report" | sed 's/^/layering: /'
echo "layering: $nviol violations ($nfiles files, $ninc include edges, $nsym symbol edges)"
exit 1
