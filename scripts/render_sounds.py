#!/usr/bin/env python3
"""Render the SecurePay prompt catalogue to Asterisk sound files.

Why this exists: the payment flow plays ``sound:securepay/<name>`` (see
docs/prompts.md), so every prompt must exist for every caller language before a
call can be taken. Studio recordings are the ideal, but an install must work
out of the box, so this script synthesises serviceable prompts from
``sounds/catalogue.toml`` with espeak-ng and converts them with sox into the two
formats Asterisk can play without transcoding on common trunks:

* ``sounds/<lang>/securepay/<name>.sln16``: raw signed 16-bit LE, mono, 16 kHz
  (wideband channels, and the best source when Asterisk must transcode);
* ``sounds/<lang>/securepay/<name>.ulaw``: raw G.711 mu-law, mono, 8 kHz.

Output is deterministic (espeak-ng and sox are, and dither is disabled), so
re-rendering an unchanged catalogue leaves files byte-identical and untouched;
reviews only see real changes.

``--check`` needs neither espeak-ng nor sox: it only compares the catalogue
with the files on disk, so tests and CI can run it anywhere.

Usage::

    python scripts/render_sounds.py                 # render everything
    python scripts/render_sounds.py --lang es --only intro
    python scripts/render_sounds.py --check         # exit 1 if out of sync
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CATALOGUE = ROOT / "sounds" / "catalogue.toml"
DEFAULT_OUT = ROOT / "sounds"
SUBDIR = "securepay"

# Caller language -> espeak-ng voices to try, best first. es-419 is neutral
# Latin-American Spanish; plain "es" (Castilian) is only a fallback for old
# espeak-ng builds that lack it.
VOICES: dict[str, tuple[str, ...]] = {
    "en": ("en-us", "en"),
    "es": ("es-419", "es"),
}

# Words per minute: espeak-ng's default (175) sounds hurried on a phone line;
# callers are copying numbers, so speak calmly.
SPEECH_WPM = 155

# Peak level after normalisation, in dBFS: loud enough for noisy lines, with
# headroom so resampling and mu-law encoding never clip.
SPEECH_PEAK_DB = -3.0
# The comfort tone sits well below speech: it reassures, it must not startle.
TONE_PEAK_DB = -15.0

# Silence kept after the last word, so prompts played back to back (e.g.
# "amount-is" then a number) do not run into each other.
TAIL_SECONDS = 0.1
# Anything quieter than this at the edges of espeak-ng output is silence
# (espeak-ng pads with digital zero; -50 dB keeps soft final consonants).
SILENCE_THRESHOLD = "-50d"

# File extension -> (sample rate, sox output format arguments). Raw files have
# no header, which is what Asterisk expects for these extensions and why the
# bytes are reproducible (no timestamps, no lengths patched in afterwards).
FORMATS: dict[str, tuple[int, tuple[str, ...]]] = {
    "sln16": (16000, ("-t", "raw", "-e", "signed-integer", "-b", "16", "-L", "-c", "1")),
    "ulaw": (8000, ("-t", "raw", "-e", "mu-law", "-b", "8", "-c", "1")),
}

INSTALL_HINT = "apt-get install espeak-ng sox"


class RenderError(Exception):
    """A problem the user must fix (bad catalogue, missing tool, failed command)."""


@dataclass(frozen=True)
class Prompt:
    """One catalogue entry: spoken text per language, or a synthesised tone."""

    name: str
    texts: dict[str, str]
    tone: bool = False


# --------------------------------------------------------------------------
# Catalogue
# --------------------------------------------------------------------------


def load_catalogue(path: Path) -> list[Prompt]:
    """Parse and validate the catalogue, so a typo fails here, not mid-call."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RenderError(f"cannot read catalogue {path}: {exc}") from exc
    table = data.get("prompts")
    if not isinstance(table, dict) or not table:
        raise RenderError(f"{path}: no [prompts.<name>] tables found")
    return [parse_prompt(name, entry) for name, entry in table.items()]


def parse_prompt(name: str, entry: object) -> Prompt:
    """Turn one ``[prompts.<name>]`` table into a Prompt, rejecting anything odd."""
    if not isinstance(entry, dict):
        raise RenderError(f"prompt {name!r}: expected a table")
    if not name or "/" in name or name.startswith("."):
        raise RenderError(f"prompt {name!r}: not a usable file name")
    if entry.get("tone") is True:
        extra = set(entry) - {"tone"}
        if extra:
            raise RenderError(f"prompt {name!r}: a tone has no {', '.join(sorted(extra))}")
        return Prompt(name=name, texts={}, tone=True)
    unknown = set(entry) - set(VOICES)
    if unknown:
        raise RenderError(f"prompt {name!r}: unknown keys {', '.join(sorted(unknown))}")
    texts: dict[str, str] = {}
    for lang in VOICES:
        text = entry.get(lang)
        if not isinstance(text, str) or not text.strip():
            raise RenderError(f"prompt {name!r}: missing {lang!r} text")
        texts[lang] = text.strip()
    return Prompt(name=name, texts=texts)


def select(prompts: Sequence[Prompt], only: Sequence[str] | None) -> list[Prompt]:
    """Restrict to ``--only`` names; an unknown name is an error, not a no-op."""
    if not only:
        return list(prompts)
    by_name = {p.name: p for p in prompts}
    unknown = [n for n in only if n not in by_name]
    if unknown:
        raise RenderError(f"not in catalogue: {', '.join(unknown)}")
    return [by_name[n] for n in dict.fromkeys(only)]


# --------------------------------------------------------------------------
# Check (no external tools needed)
# --------------------------------------------------------------------------


def expected_files(out: Path, prompts: Iterable[Prompt], langs: Iterable[str]) -> set[Path]:
    """Every file the catalogue promises, for the selected languages."""
    return {out / lang / SUBDIR / f"{p.name}.{ext}" for lang in langs for p in prompts for ext in FORMATS}


def rendered_files(out: Path, langs: Iterable[str]) -> set[Path]:
    """Every file currently present in the selected ``<lang>/securepay`` folders."""
    found: set[Path] = set()
    for lang in langs:
        folder = out / lang / SUBDIR
        if folder.is_dir():
            found.update(f for f in folder.iterdir() if f.is_file())
    return found


def check(out: Path, prompts: Sequence[Prompt], langs: Sequence[str], *, partial: bool) -> list[str]:
    """List problems: promised files missing, empty, or present without an entry.

    With ``partial`` (``--only``) stray files are not reported, since the
    check then only covers a few prompts.
    """
    expected = expected_files(out, prompts, langs)
    present = rendered_files(out, langs)
    problems = [f"missing: {rel(f, out)}" for f in sorted(expected - present)]
    problems += [f"empty: {rel(f, out)}" for f in sorted(expected & present) if f.stat().st_size == 0]
    if not partial:
        problems += [f"not in catalogue: {rel(f, out)}" for f in sorted(present - expected)]
    return problems


def rel(path: Path, base: Path) -> str:
    """Short path for messages."""
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------
# External tools
# --------------------------------------------------------------------------


def require_tools() -> None:
    """Fail early with the install command rather than a FileNotFoundError trace."""
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        raise RenderError(f"{' and '.join(missing)} not found; install with: {INSTALL_HINT}")


def run(cmd: Sequence[str], stdin: bytes | None = None) -> bytes:
    """Run a command, returning stdout; on failure show its stderr."""
    proc = subprocess.run(list(cmd), input=stdin, capture_output=True, check=False)
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip()
        raise RenderError(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{err}")
    return proc.stdout


def installed_voices() -> set[str]:
    """Language codes espeak-ng knows (column 2 of ``espeak-ng --voices``)."""
    listing = run(["espeak-ng", "--voices"]).decode(errors="replace").splitlines()
    return {line.split()[1] for line in listing[1:] if len(line.split()) > 1}


def pick_voice(lang: str, available: set[str]) -> str:
    """Best installed voice for a caller language; say so when falling back."""
    for i, voice in enumerate(VOICES[lang]):
        if voice in available:
            if i:
                print(f"note: voice {VOICES[lang][0]} not installed, using {voice}", file=sys.stderr)
            return voice
    raise RenderError(f"no espeak-ng voice for {lang!r} (tried {', '.join(VOICES[lang])})")


# --------------------------------------------------------------------------
# Synthesis
# --------------------------------------------------------------------------


def speak(text: str, voice: str) -> bytes:
    """Synthesise text to WAV bytes (espeak-ng's native 22.05 kHz)."""
    return run(["espeak-ng", "-v", voice, "-s", str(SPEECH_WPM), "-b", "1", "--stdout", text])


def speech_effects() -> list[str]:
    """Trim edge silence and keep a short tail (peak normalising is in encode).

    ``silence ... reverse silence ... reverse`` is sox's idiom for trimming
    both ends; the tail stops back-to-back prompts running together.
    """
    trim = ["silence", "1", "0.01", SILENCE_THRESHOLD]
    return [*trim, "reverse", *trim, "reverse", "pad", "0", str(TAIL_SECONDS)]


def chime_note(path: Path, freq: float, start: float, length: float) -> None:
    """One soft bell-like note: a sine plus a quiet octave, quick attack, long fade.

    A pure sine at a fixed level is what phones use for error and busy tones;
    the octave partial and the decaying envelope make it read as a chime.
    """
    run([
        "sox", "-D", "-r", "16000", "-c", "2", "-n", "-b", "16", "-c", "1", str(path),
        "synth", f"{length}", "sine", f"{freq}", "sine", f"{freq * 2}",
        "remix", "1v0.8,2v0.2",
        "fade", "q", "0.02",
        "fade", "h", "0", f"{length}", f"{length}",
        "pad", f"{start}", "0",
    ])  # fmt: skip


def chime() -> bytes:
    """The processing comfort tone: C5 then E5, a rising major third, 2 s long.

    Rising and consonant so it sounds like "working on it", not "wrong";
    ends in silence so it can be looped while the gateway answers.
    """
    with tempfile.TemporaryDirectory(prefix="securepay-tone-") as tmp:
        low, high = Path(tmp) / "low.wav", Path(tmp) / "high.wav"
        chime_note(low, 523.25, start=0.0, length=1.5)
        chime_note(high, 659.25, start=0.45, length=1.55)
        return run([
            "sox", "-D", "-m", str(low), str(high), "-t", "wav", "-",
            "trim", "0", "2.0", "gain", "-n", f"{TONE_PEAK_DB}",
        ])  # fmt: skip


def encode(wav: bytes, ext: str, effects: Sequence[str], peak_db: float) -> bytes:
    """Convert WAV bytes to one Asterisk raw format, undithered for determinism."""
    rate, fmt = FORMATS[ext]
    return run(
        ["sox", "-D", "-V1", "-t", "wav", "-", *fmt, "-r", str(rate), "-",
         *effects, "rate", "-v", str(rate), "gain", "-n", f"{peak_db}"],
        stdin=wav,
    )  # fmt: skip


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write only when bytes differ, so timestamps and git stay quiet."""
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return True


def render(out: Path, prompts: Sequence[Prompt], langs: Sequence[str]) -> tuple[int, int]:
    """Render every selected prompt in every format; return (written, unchanged)."""
    require_tools()
    available = installed_voices()
    tone = chime() if any(p.tone for p in prompts) else b""
    written = unchanged = 0
    for lang in langs:
        voice = pick_voice(lang, available)
        for prompt in prompts:
            if prompt.tone:
                wav, effects, peak = tone, [], TONE_PEAK_DB
            else:
                wav, effects, peak = (
                    speak(prompt.texts[lang], voice),
                    speech_effects(),
                    SPEECH_PEAK_DB,
                )
            for ext in FORMATS:
                path = out / lang / SUBDIR / f"{prompt.name}.{ext}"
                if write_if_changed(path, encode(wav, ext, effects, peak)):
                    written += 1
                    print(f"wrote {rel(path, out)}")
                else:
                    unchanged += 1
    return written, unchanged


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options (see module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--lang",
        action="append",
        choices=sorted(VOICES),
        help="only this language (repeatable; default: all)",
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="only this prompt (repeatable; default: all)",
    )
    parser.add_argument(
        "--check", action="store_true", help="render nothing; exit 1 listing missing or stray files"
    )
    parser.add_argument("--catalogue", type=Path, default=DEFAULT_CATALOGUE, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=argparse.SUPPRESS)
    return parser.parse_args(argv)  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = parse_args(argv)
    langs = list(dict.fromkeys(args.lang or VOICES))
    try:
        prompts = select(load_catalogue(args.catalogue), args.only)
        if args.check:
            problems = check(args.out, prompts, langs, partial=bool(args.only))
            for problem in problems:
                print(problem, file=sys.stderr)
            if problems:
                print(
                    f"{len(problems)} problem(s); run: python scripts/render_sounds.py",
                    file=sys.stderr,
                )
                return 1
            print(f"ok: {len(prompts)} prompts x {len(langs)} languages x {len(FORMATS)} formats")
            return 0
        written, unchanged = render(args.out, prompts, langs)
    except RenderError as exc:
        print(f"render_sounds: {exc}", file=sys.stderr)
        return 2
    print(f"done: {written} written, {unchanged} unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
