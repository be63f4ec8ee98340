#!/bin/sh
# Rebuild the containers (formats/pdfs/) and their PDF renderings (formats-pdf/pdfs/) from Debian's own files.
# Needs: pandoc (Debian 2.17), chromium (Debian), and a Python with python-pptx and openpyxl ($PYTHON).
# The questions are not rebuilt: `python -m bench.verify_formats` checks them against what this writes.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
PYTHON=${PYTHON:-python3}
out="$here/formats/pdfs"
pdf="$here/formats-pdf/pdfs"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out" "$pdf"

# documents: Debian HTML manuals, each in one container format, so no two files of the library hold the same text
cp /usr/share/doc/base-passwd/users-and-groups.html "$out/base-passwd-users-and-groups.html"
cp /usr/share/doc/time/time.html "$out/gnu-time-manual.html"
pandoc -f html -t docx --lua-filter "$here/notitle.lua" \
    /usr/share/doc/bzip2/manual.html -o "$out/bzip2-manual.docx"
pandoc -f html-native_divs-native_spans -t gfm-raw_html --wrap=none \
    /usr/share/doc/ninja-build/manual.html -o "$out/ninja-manual.md"
pandoc -f html-native_divs -t epub --epub-chapter-level=2 --resource-path=/usr/share/doc/valgrind/html \
    /usr/share/doc/valgrind/html/mc-manual.html -o "$out/valgrind-memcheck.epub"

# slides and sheets, each with an HTML rendering for the PDF copy
"$PYTHON" "$here/make_tables.py" "$out" "$tmp"

render() {  # $1: an HTML file or URL, $2: the PDF to write
    chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer --print-to-pdf="$2" "$1" 2>/dev/null
}
render file:///usr/share/doc/base-passwd/users-and-groups.html "$pdf/base-passwd-users-and-groups.pdf"
render file:///usr/share/doc/time/time.html "$pdf/gnu-time-manual.pdf"
render file:///usr/share/doc/bzip2/manual.html "$pdf/bzip2-manual.pdf"
render file:///usr/share/doc/ninja-build/manual.html "$pdf/ninja-manual.pdf"
render file:///usr/share/doc/valgrind/html/mc-manual.html "$pdf/valgrind-memcheck.pdf"
for name in network-services time-zones debian-releases ubuntu-releases; do
    render "file://$tmp/$name.html" "$pdf/$name.pdf"
done
ls -l "$out" "$pdf"
