"""What a spoken report costs before Twilio hears the case number: the report step's hints, the
place found in the recognised text (characters, then pinyin), the category guessed, against a
same-run baseline (the characters-only match SMS uses, `gazetteer.best_in_text`).

    python bench/voice_speech.py [--places N] [--texts N]

Sets itself up: DEBUG=1, a throwaway SQLite file, migrations, the demo city's categories and N
places with made-up Chinese names. Prints figures; asserts nothing about time (it does check
that every homophone text finds its place).
"""

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _django import setup

SYLLABLES = "金鱼人民和平建设胜利解放东西南北新华中山友谊光明幸福团结长安公园路街广场桥市场学校医院"
# What speech recognition may write for a place: one character swapped for a homophone.
HOMOPHONES = {"鱼": "于", "民": "敏", "平": "凭", "设": "社", "利": "力", "东": "冬", "华": "化", "山": "删"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--places", type=int, default=20000)
    parser.add_argument("--texts", type=int, default=300)
    args = parser.parse_args()
    setup("sqlite", "citymgmt-bench-voice")

    from city import gazetteer, spoken
    from city.demo.seed import _ensure_departments
    from city.importers.categories import SHIPPED_TABLE, import_categories
    from city.models import Category, Place
    from hotline import voice_words

    _ensure_departments()
    import_categories(SHIPPED_TABLE)  # the demo city's table
    rng = random.Random(12319)
    by_sound = {}  # two places that sound alike are a real ambiguity (left to the call-taker): none here
    while len(by_sound) < args.places:
        name = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(3, 6))) + rng.choice("路街园巷")
        by_sound.setdefault(spoken.syllables(name), name)
    names = sorted(by_sound.values())
    Place.objects.bulk_create(Place(name=n, kind="road", lng=104.17, lat=36.54) for n in names)
    gazetteer.invalidate()
    gazetteer.shared.get()  # the index's own build is bench/place_lookup.py's

    started = time.perf_counter()
    hints = voice_words.hints("zh-hans")
    hints_s = time.perf_counter() - started
    targets = [n for n in rng.sample(names, min(args.texts * 3, len(names))) if any(c in HOMOPHONES for c in n)]
    targets = targets[: args.texts]
    texts = ["".join(HOMOPHONES.get(c, c) for c in n) + "门口暴露垃圾没人管" for n in targets]

    started = time.perf_counter()
    gazetteer.best_in_speech(texts[0])
    first_s = time.perf_counter() - started  # the place names' pinyin, computed once per index
    started = time.perf_counter()
    found = [gazetteer.best_in_speech(t) for t in texts]
    speech_s = time.perf_counter() - started
    started = time.perf_counter()
    baseline = [gazetteer.best_in_text(t) for t in texts]
    text_s = time.perf_counter() - started
    started = time.perf_counter()
    guessed = [spoken.guess_category(t) for t in texts]
    guess_s = time.perf_counter() - started

    placed = sum(1 for m, n in zip(found, targets, strict=True) if m and m.place.name == n)
    n = len(texts)
    print(f"places: {len(names):,}; categories: {Category.objects.count()}; homophone texts: {n}")
    print(f"hints for the report step: {len(hints.split(','))} entries, {len(hints):,} chars, {hints_s * 1000:.1f} ms")
    print(f"first spoken text (place names' pinyin, once per index): {first_s * 1000:.0f} ms")
    print(f"place by sound (pinyin):      {speech_s / n * 1000:.2f} ms/text; placed {placed}/{n}")
    print(f"baseline, characters only (SMS):  {text_s / n * 1000:.2f} ms/text; placed "
          f"{sum(1 for m in baseline if m)}/{n}")  # fmt: skip
    print(f"category guess (name, pinyin):    {guess_s / n * 1000:.2f} ms/text; "
          f"{sum(1 for c in guessed if c and c.name == '暴露垃圾')}/{n} 暴露垃圾")  # fmt: skip
    missed = [(t, m.place.name if m else None) for t, m, name in zip(texts, found, targets, strict=True)
              if not m or m.place.name != name]  # fmt: skip
    assert not missed, missed[:5]


if __name__ == "__main__":
    main()
