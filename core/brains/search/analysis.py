"""Per-language text analysis: what a question and a passage are turned into before BM25.

European languages: Snowball stemmers (PyStemmer) and the stop-word lists bm25s ships, with
diacritics folded after stemming so "envio" meets "envío". Arabic: the letter variants people type
interchangeably (alef with hamza or madda, alef maqsura, ta marbuta, tatweel, short vowels) are
normalised before the Snowball Arabic stemmer. Chinese and Japanese have no spaces: runs of their
characters become overlapping character bigrams (plus single Han characters), which needs no
dictionary and copes with words a segmenter would not know ("送料", "ジャケット"); a bigram made
only of hiragana is grammar (です, ますか), so it is dropped like a stop word.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer
from bm25s import stopwords as lists

_SNOWBALL = {"en": "english", "es": "spanish", "fr": "french", "de": "german", "pt": "portuguese", "ar": "arabic"}
# Question words and fillers customers wrap around the topic; the shipped lists keep some of
# them (they are content elsewhere) but in a support question they only dilute the match.
_EXTRA_STOP = {
    "en": "hi hello hey please thanks thank can could would you your i me my we us our do does did get "
    "tell know want need like about any some much many there here just also still yet one am is".split(),
    "es": "hola buenas buenos por favor gracias quiero quisiera necesito saber puedo pueden puede "
    "usted ustedes vosotros hay algo".split(),
    "fr": "bonjour salut merci svp plaît je j voudrais veux besoin savoir peux pouvez peut est ce qu "
    "vous votre vos".split(),
    "de": "hallo guten tag danke bitte ich möchte will brauche wissen kann können könnt ihr euch eure "
    "euer sie ihre gibt es".split(),
    "pt": "olá ola oi bom boa dia tarde noite obrigado obrigada por favor quero queria preciso saber "
    "posso pode podem vocês você voces voce tem há".split(),
    "ar": "مرحبا السلام عليكم شكرا من فضلك لو سمحت هل ما أنا انا أريد اريد "
    "في على من إلى الى عن مع هذا هذه ذلك لدي لديكم عندكم يمكن يمكنني ممكن".split(),
}
_STOP_LISTS = {
    "en": lists.STOPWORDS_EN,  # the longer list drops how/when/where, which tell questions apart
    "es": lists.STOPWORDS_SPANISH,
    "fr": lists.STOPWORDS_FRENCH,
    "de": lists.STOPWORDS_GERMAN,
    "pt": lists.STOPWORDS_PORTUGUESE,
    "zh": lists.STOPWORDS_CHINESE,
}
# Chinese characters that are grammar or pronouns when they stand alone.
_ZH_STOP_CHARS = set("的了吗呢吧啊么我你他她它们是在有和就都也要会能可以这那哪什怎请问好")
_WORD = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_ARABIC_VARIANTS = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي", "ـ": None}
)


def base(code: str) -> str:
    return code.split("-")[0].lower()


def fold(text: str) -> str:
    """Lower case without diacritics: "Envío" -> "envio", "größe" -> "grosse"."""
    text = unicodedata.normalize("NFKD", text.lower().replace("ß", "ss"))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def normalize_arabic(text: str) -> str:
    text = "".join(ch for ch in unicodedata.normalize("NFKC", text) if unicodedata.category(ch) != "Mn")
    return text.translate(_ARABIC_VARIANTS)


def is_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


class Analyzer:
    """Text -> index terms for one language. Cheap to call; build one per language (``analyzer``)."""

    def __init__(self, code: str) -> None:
        self.code = base(code)
        name = _SNOWBALL.get(self.code)
        self._stemmer = Stemmer.Stemmer(name) if name else None
        stop = set(_STOP_LISTS.get(self.code, ())) | set(_EXTRA_STOP.get(self.code, ()))
        self.stop = frozenset(self._prepare(w) for w in stop)
        self.cjk = self.code in ("ja", "zh")

    def _prepare(self, word: str) -> str:
        word = unicodedata.normalize("NFKC", word).lower()
        return normalize_arabic(word) if self.code == "ar" else word

    def words(self, text: str) -> list[str]:
        """Surface words (lower-cased, Arabic normalised), stop words and digits dropped: what
        typo correction compares. A lone capital letter is a label ("between S and M") and
        stays; other single letters go."""
        out = []
        for raw in _WORD.findall(unicodedata.normalize("NFKC", text)):
            word = self._prepare(raw)
            if word.isdigit() or word in self.stop or is_cjk(word) or (len(word) < 2 and not raw.isupper()):
                continue
            out.append(word)
        return out

    @lru_cache(maxsize=65536)  # noqa: B019 - one analyzer per language, for the process's life
    def stem(self, word: str) -> str:
        stemmed = self._stemmer.stemWord(word) if self._stemmer else word
        return fold(stemmed) if self.code != "ar" else stemmed

    def terms(self, text: str) -> list[str]:
        out: list[str] = []
        for run in _CJK.findall(self._prepare(text)):
            out.extend(self._ngrams(run))
        out += [self.stem(word) for word in self.words(_CJK.sub(" ", text))]
        return out

    def grams(self, text: str, n: int = 4) -> list[str]:
        """Character n-grams of the content words ("_rück", "rücks", ...): they meet where stems
        do not, in compounds (Kreditkartendaten / Kreditkarte) and inflections Snowball leaves
        apart (zurückgeschickt / zurückschicken). Not for CJK, whose terms are already pairs."""
        if self.cjk:
            return []
        out: list[str] = []
        for word in self.words(text):
            padded = f"_{fold(word)}_"
            out += [padded[i : i + n] for i in range(len(padded) - n + 1)]
        return out

    def _ngrams(self, run: str) -> list[str]:
        out: list[str] = []
        for piece in self._pieces(run):
            out += [piece[i : i + 2] for i in range(len(piece) - 1) if piece[i : i + 2] not in self.stop]
            # Single Han characters carry meaning (退 "return", 码 "size") and catch one-character words.
            out += [ch for ch in piece if "\u3400" <= ch <= "\u9fff"]
        return out

    def _pieces(self, run: str) -> list[str]:
        """Where words can start and end. Chinese: around its grammar characters (的, 吗, 我...).
        Japanese: at each change between kanji, katakana and hiragana, hiragana being mostly
        particles and endings (を, ですか) that would only pair with their neighbours."""
        if self.code == "zh":
            return [p for p in re.split("[" + "".join(_ZH_STOP_CHARS) + "]+", run) if p]
        pieces = re.findall(r"[\u30a0-\u30ff]+|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+", run)
        return [p for p in pieces if not (len(p) == 1 and "\u30a0" <= p <= "\u30ff")]


@lru_cache(maxsize=64)
def analyzer(code: str) -> Analyzer:
    return Analyzer(code)
