"""Swedish words as the search index holds them: every word with its base forms and the parts of
a compound, so that a registrar's *skola* finds *skolans* and *förskolan*.

Three sources, each measured on the gold set in ``tests/search_gold.py`` (docs/search.md):

* the **lemma** from simplemma's bundled Swedish dictionary (*vattnet* → *vatten*, *snön* →
  *snö*, *plogade* → *ploga*), read in its memory-frugal form;
* the **Snowball stem** (Tantivy's Swedish stemmer) beside it, for words the dictionary lacks
  (*Kanalgatans* → *kanalgatan*);
* the **parts of a compound**, split with the Swedish word list that wordfreq ships
  (*busshållplatsen* → *buss*, *hållplats*). A part is a word of at least
  three letters that is more common than the whole (*bilaga* is more common than *aga*, so
  *bil* does not find *bilagan*); a modifier may drop a final *-a* or *-e* (*gatlampa* → *gata*,
  *pojkvän* → *pojke*) or carry a linking *-s-* (*idrottsplats*), or *-o-* or *-u-* in place
  of its *-a* (*kyrkogård*, *gatubelysning*); the head is the last part,
  never a function word (*bensin* is not *ben* + *sin*), and it is lemmatized itself.

Words are letters and digits (as Tantivy's simple tokenizer cuts them), lower-cased: å, ä and
ö stay letters of their own. Everything is cached per distinct word with a bounded cache.
"""

from __future__ import annotations

import array
import bisect
import gzip
import importlib.metadata
import pathlib
import re
import threading
from collections.abc import Iterator
from functools import lru_cache

import msgpack
import tantivy

#: A word: a run of letters and digits (as Tantivy's simple tokenizer cuts text).
WORD = re.compile(r"[^\W_]+")
#: Tantivy's ``remove_long`` limit: longer words are not indexed.
MAX_WORD_BYTES = 80
#: The shortest part of a compound (two-letter words such as *ka* and *is* split too much).
MIN_PART = 3
#: The least common word the compound lexicon keeps (wordfreq's Zipf scale: 3 is once per
#: million words).
MIN_ZIPF = 1.5
#: How common a word must be to take *-o-* or *-u-* as a compound's first part (*gata*, *kyrka*
#: and *vecka* are; rare words ending in *-a* are mostly verbs, which do not).
MIN_LINKED_ZIPF = 4.0
#: Distinct words whose index terms are kept between calls (a few hundred bytes each; the
#: forms and parts of single words, and the dictionary's lemmas, keep fewer).
CACHE_WORDS = 65_536
_CACHE_SMALL = 8_192
#: Words that are never the head of a compound: pronouns, prepositions, conjunctions, auxiliaries.
_FUNCTION_WORDS = frozenset(
    [
        "alla",
        "allt",
        "andra",
        "att",
        "av",
        "bara",
        "blev",
        "bli",
        "blir",
        "de",
        "dem",
        "den",
        "denna",
        "dess",
        "deras",
        "det",
        "detta",
        "dig",
        "din",
        "dina",
        "ditt",
        "du",
        "där",
        "efter",
        "eller",
        "en",
        "er",
        "era",
        "ert",
        "ett",
        "från",
        "för",
        "ha",
        "hade",
        "han",
        "hans",
        "har",
        "hen",
        "henne",
        "hennes",
        "hon",
        "honom",
        "hos",
        "här",
        "i",
        "icke",
        "ingen",
        "inget",
        "inom",
        "inte",
        "jag",
        "ju",
        "kan",
        "kunde",
        "man",
        "med",
        "mellan",
        "men",
        "mig",
        "min",
        "mina",
        "mitt",
        "mot",
        "mycket",
        "ni",
        "nu",
        "när",
        "någon",
        "något",
        "några",
        "och",
        "om",
        "oss",
        "på",
        "sa",
        "sedan",
        "sig",
        "sin",
        "sina",
        "sitt",
        "sjä",
        "skall",
        "ska",
        "skulle",
        "som",
        "så",
        "till",
        "under",
        "upp",
        "ut",
        "utan",
        "vad",
        "var",
        "vara",
        "varit",
        "vars",
        "vart",
        "vem",
        "vi",
        "vid",
        "vilka",
        "vilken",
        "vill",
        "än",
        "är",
        "åt",
        "över",
    ]
)
#: Letters that join the parts of a compound: *idrott-s-plats*; *-o-* and *-u-* replace the
#: final *-a* of the first part (*kyrk-o-gård*, *gat-u-belysning*).
_LINKS = ("", "s", "o", "u")
#: The endings of nouns (definite, plural, genitive): only these may the Snowball stem take off.
_NOUN_ENDINGS = frozenset(
    [
        "a",
        "e",
        "n",
        "t",
        "s",
        "en",
        "et",
        "an",
        "na",
        "ar",
        "er",
        "or",
        "ns",
        "ts",
        "ens",
        "ets",
        "ans",
        "nas",
        "arna",
        "erna",
        "orna",
        "ars",
        "ers",
        "ors",
        "arnas",
        "ernas",
        "ornas",
    ]
)


def words(text: str) -> Iterator[tuple[int, int, str]]:
    """The words of ``text``: (start, end) character offsets and the word lower-cased."""
    for match in WORD.finditer(text):
        word = match.group().lower()
        if len(word.encode()) < MAX_WORD_BYTES:
            yield match.start(), match.end(), word


def distinct_words(text: str) -> set[str]:
    """The words of ``text`` as :func:`words` gives them, each once, without their places."""
    return {
        w
        for w in WORD.findall(text.lower())
        if len(w) < MAX_WORD_BYTES // 4 or len(w.encode()) < MAX_WORD_BYTES
    }


class Swedish:
    """Base forms and compound parts of Swedish words; data is loaded on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded = False
        self._stemmer = (
            tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.raw())
            .filter(tantivy.Filter.stemmer("swedish"))
            .build()
        )
        self.forms = lru_cache(maxsize=_CACHE_SMALL)(self._forms)
        self.parts = lru_cache(maxsize=_CACHE_SMALL)(self._parts)
        self.terms = lru_cache(maxsize=CACHE_WORDS)(self._terms)

    # -- what the index and the queries use ---------------------------------------------------

    def _terms(self, word: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """What the index holds for ``word``: its forms, and the forms of its compound parts."""
        return self.forms(word), tuple(
            dict.fromkeys(f for part in self.parts(word) for f in self.forms(part))
        )

    def _forms(self, word: str) -> tuple[str, ...]:
        """``word`` (lower case) and its base forms: its lemma, and its Snowball stem where the
        stemmer took off a noun ending (*beslutet* → *beslut*, but not *målade* → *mål*)."""
        lemma = self.lemma(word)
        stem = self.stem(word)
        if not word.startswith(stem) or word[len(stem) :] not in _NOUN_ENDINGS:
            return tuple(dict.fromkeys((word, lemma)))
        return tuple(dict.fromkeys((word, lemma, stem)))

    def _parts(self, word: str) -> tuple[str, ...]:
        """The words a compound is made of, in base form (empty for a word that is no compound)."""
        self._load()
        base = self.lemma(word)  # a word the dictionary knows is split in its base form
        best = self._split(base)
        if not best:
            return ()
        found: dict[str, None] = {}
        for written, part in best:
            for form in (written, part):
                if self._zipf(form) and form not in _FUNCTION_WORDS:
                    found[form] = None
        found.pop(word, None)
        found.pop(base, None)
        return tuple(found)

    def lemma(self, word: str) -> str:
        """The dictionary's base form of ``word`` (``word`` itself if the dictionary lacks it)."""
        self._load()
        return self._lemmatizer.lemmatize(word, "sv").lower()

    def stem(self, word: str) -> str:
        """The Snowball stem of ``word``."""
        found = self._stemmer.analyze(word)
        return found[0] if found else word

    # -- compounds --------------------------------------------------------------------------------

    def _split(self, word: str) -> list[tuple[str, str]] | None:
        """The best split of ``word`` into two or three parts, as (letters as written, base form)."""
        whole = self._zipf(word)
        best: tuple[int, float, list[tuple[str, str]]] | None = None
        for parts in self._splits(word, 3):
            if len(parts) < 2:
                continue
            zipfs = [z for _, _, z in parts]
            if min(zipfs) <= whole:  # the whole is more common than a part: a word of its own
                continue
            # Fewest parts first (buss|hållplats, not buss|håll|plats), then the most common.
            score = (-len(parts), min(zipfs))
            if best is None or score > best[:2]:
                best = (*score, [(written, base) for written, base, _ in parts])
        return best[2] if best else None

    def _splits(self, word: str, most: int) -> Iterator[list[tuple[str, str, float]]]:
        head = self._head(word)
        if head is not None:
            yield [head]
        if most == 1:
            return
        for cut in range(MIN_PART, len(word) - MIN_PART + 1):
            modifier = self._modifier(word[:cut])
            if modifier is None:
                continue
            for rest in self._splits(word[cut:], most - 1):
                yield [modifier, *rest]

    def _head(self, letters: str) -> tuple[str, str, float] | None:
        """The last part of a compound: a word (in any form) of its own."""
        if len(letters) < MIN_PART or letters in _FUNCTION_WORDS:
            return None
        base = self.lemma(letters)
        zipf = self._zipf(letters) or self._zipf(base)
        if not zipf or base in _FUNCTION_WORDS:
            return None
        return letters, base, zipf

    def _modifier(self, letters: str) -> tuple[str, str, float] | None:
        """A first part: a word, or one with its final -a or -e dropped (*gat-lampa*,
        *pojk-vän*), maybe with a linking letter."""
        best = None
        if letters in _FUNCTION_WORDS:  # för|skola is a derivation, not a compound
            return None
        for link in _LINKS:
            if link and not letters.endswith(link):
                continue
            stem = letters[: len(letters) - len(link)]
            if len(stem) < MIN_PART:
                continue
            for base in (stem + "a",) if link in ("o", "u") else (stem, stem + "a", stem + "e"):
                zipf = self._zipf(base)
                if link in ("o", "u") and zipf < MIN_LINKED_ZIPF:
                    continue
                if zipf and base not in _FUNCTION_WORDS and (best is None or zipf > best[2]):
                    best = (letters, base, zipf)
        return best

    def _zipf(self, word: str) -> float:
        """How common ``word`` is in Swedish (Zipf scale), 0 if the word list lacks it."""
        return self._lexicon.zipf(word)

    # -- data -------------------------------------------------------------------------------------

    def _load(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            from simplemma import Lemmatizer
            from simplemma.strategies.default import DefaultStrategy

            self._lemmatizer = Lemmatizer(
                cache_max_size=_CACHE_SMALL, lemmatization_strategy=DefaultStrategy(low_memory=True)
            )
            self._lexicon = _word_list()
            self._loaded = True


class WordList:
    """Words with how common they are, held compactly: a sorted array of the words' hashes and
    one beside it of 100 times their Zipf values (10 bytes a word, where a dict of strings
    takes over a hundred; the list has some 190,000 words).

    A hash is Python's own, of this process: the arrays are made anew in every process. Two
    words of the list sharing a 64-bit hash, or a word outside it taking the hash of one in it,
    is a chance of about one in 10^13 per word looked up.
    """

    def __init__(self, words: Iterator[tuple[str, int]]) -> None:
        hashes = array.array("q")
        values = array.array("H")
        for word, centizipf in words:
            hashes.append(hash(word))
            values.append(centizipf)
        order = sorted(range(len(hashes)), key=hashes.__getitem__)
        self._hashes = array.array("q", (hashes[i] for i in order))
        self._values = array.array("H", (values[i] for i in order))

    def __len__(self) -> int:
        return len(self._hashes)

    def zipf(self, word: str) -> float:
        """How common ``word`` is (Zipf scale), 0 if the list lacks it."""
        key = hash(word)
        at = bisect.bisect_right(self._hashes, key) - 1  # a word listed twice: its last place
        if at >= 0 and self._hashes[at] == key:
            return self._values[at] / 100
        return 0.0


def _word_list() -> WordList:
    """wordfreq's large Swedish list, read bucket by bucket.

    The file is wordfreq's documented ``cB`` format: a msgpack array of a header and then one
    list of words per centibel of frequency, most common first.
    """
    return WordList(_word_buckets(_wordfreq_data() / "large_sv.msgpack.gz"))


def _word_buckets(path: pathlib.Path) -> Iterator[tuple[str, int]]:
    """The words of the list at ``path``, each with 100 times its Zipf value."""
    with gzip.open(path) as stream:
        unpacker = msgpack.Unpacker(stream, raw=False, max_buffer_size=64 * 2**20)
        buckets = unpacker.read_array_header() - 1
        header = unpacker.unpack()
        if not isinstance(header, dict) or header.get("format") != "cB":
            raise ValueError(f"{path}: not a wordfreq cB word list")
        for centibels in range(buckets):
            bucket = unpacker.unpack()
            zipf = 900 - centibels
            if zipf < MIN_ZIPF * 100:
                break
            for word in bucket:
                if word.isalpha():
                    yield word, zipf


def _wordfreq_data() -> pathlib.Path:
    files = importlib.metadata.files("wordfreq") or []
    for file in files:
        if file.name == "large_sv.msgpack.gz":
            return pathlib.Path(str(file.locate())).parent
    raise FileNotFoundError("wordfreq's Swedish word list (large_sv.msgpack.gz) is not installed")


def data_versions() -> dict[str, str]:
    """The versions of the word data, which decide what the index holds."""
    return {name: importlib.metadata.version(name) for name in ("simplemma", "wordfreq")}


#: The one instance a process shares (its data is loaded on first use).
SWEDISH = Swedish()
