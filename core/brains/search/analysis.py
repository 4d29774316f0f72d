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

# Languages that write compound nouns as one word (split against the knowledge's own words).
_COMPOUNDING = {"de", "nl", "sv", "da", "no"}
_SNOWBALL = {"en": "english", "es": "spanish", "fr": "french", "de": "german", "pt": "portuguese", "ar": "arabic"}
# Question words and fillers customers wrap around the topic; the shipped lists keep some of
# them (they are content elsewhere) but in a support question they only dilute the match.
_EXTRA_STOP = {
    "en": "hi hello hey please thanks thank can could would you your i me my we us our do does did get "
    "tell know want need like about any some much many there here just also still yet one am is im ive youre "
    "whats theres been so very really bit little got stuff thing things hasnt havent dont "
    "doesnt didnt isnt arent cant wont wasnt usually normally generally".split(),
    "es": "hola buenas buenos por favor gracias quiero quisiera necesito saber puedo pueden puede "
    "usted ustedes vosotros hay algo".split(),
    "fr": "bonjour salut merci svp plaît je j voudrais veux besoin savoir peux pouvez peut est ce qu "
    "vous votre vos".split(),
    "de": "hallo guten tag danke bitte ich möchte will brauche wissen kann können könnt ihr euch eure "
    "euer sie ihre gibt es".split(),
    "pt": "olá ola oi bom boa dia tarde noite obrigado obrigada por favor quero queria preciso saber "
    "posso pode podem vocês você voces voce tem há".split(),
    # Arabic: no shipped list fits support questions (the public ones are news lists that drop
    # "days", "visit" and "return"); these are the particles, pronouns and fillers, without the
    # question words (كيف, متى, أين, كم), which tell "when is my refund" from "where is it".
    "ar": "مرحبا السلام عليكم شكرا من فضلك لو سمحت رجاء الرجاء أرجو هل ما أنا انا أنت انت أنتم نحن هو هي "
    "أريد اريد أود أحتاج بدي عايز في فى على من إلى الى عن مع هذا هذه ذلك تلك هناك هنا لدي لديكم لديك "
    "عندي عندكم عندك يمكن يمكنني يمكنك أستطيع ممكن لا لم لن قد لقد إذا اذا أو او ثم كل أي اي "
    "الذي التي بخصوص بشأن حول عند بعد ما زال زلت مازلت مازال لازلت بلا بدون أيضا ايضا فقط جدا قليلا "
    "يا لي لك لكم لنا به بها فيه فيها منه منها عنه عنها إنه انه إنها انها كان كانت "
    # The spoken Arabic customers type (Gulf, Levantine, Egyptian, Maghrebi): "I can", "I want",
    # "what", "still", "only", "because", "this", "not"...
    "أقدر اقدر بقدر أبغى ابغى ابغي أبي ابي ودي حابب عاوز عاوزة عايزة شو ايش إيش وش شنو ايه إيه "
    "لسه لسا لسى بس طيب يعني عشان علشان مشان هيك كده كدا دي ده هاد هادا هذي هاي اللي مش مو".split(),
}


_EN_KEPT = set("how when where what which why who whom before after until up down out off over under again".split())


def _shipped_stop(code: str) -> tuple[str, ...]:
    # Imported with the first analyzer, not at start-up: bm25s imports numpy (a fifth of a
    # second of every start, for lists a language may never need).
    from bm25s import stopwords as lists

    shipped = {
        # The longer list, but for the words that tell questions apart ("how much" is a price,
        # "when" a time, "where" a place) and those that carry the request ("up", "off", "out").
        "en": tuple(w for w in lists.STOPWORDS_EN_PLUS if w not in _EN_KEPT),
        "es": lists.STOPWORDS_SPANISH,
        "fr": lists.STOPWORDS_FRENCH,
        "de": lists.STOPWORDS_GERMAN,
        "pt": lists.STOPWORDS_PORTUGUESE,
        "zh": lists.STOPWORDS_CHINESE,
    }
    return tuple(shipped.get(code, ()))


# Chinese characters that are grammar or pronouns when they stand alone.
_ZH_STOP_CHARS = set("的了吗呢吧啊么我你他她它们是在有和就都也要会能可以这那哪什怎请问好")
# Japanese words usually written in hiragana that are not grammar: question words ("how much"
# いくら is what tells the shipping cost from the tracking question when both say 注文 and 送る)
# and how clothes fit (きつい "tight", ゆるい "loose").
_JA_KANA_WORDS = re.compile("いくら|いつ|どこ|くらい|きつ|ゆる")
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


# Spoken Arabic's question words, as the written language says them (the knowledge's examples
# are written in it): "where", "how", "when", "how much" tell questions apart, so they are kept.
_AR_SPOKEN = {
    **dict.fromkeys(("وين", "فين"), "اين"),
    **dict.fromkeys(("شلون", "ازاي", "كيفاش", "كيفك"), "كيف"),
    **dict.fromkeys(("امتي", "ايمتي", "متين", "امتا"), "متي"),
    **dict.fromkeys(("بكم", "بكام", "كام", "قديش", "اديش", "قداش"), "كم"),
    **dict.fromkeys(("ليش", "ليه", "علاش"), "لماذا"),
}
# Arabic writes "and", "so", "with", "for" and "like" onto the next word: "وما" is "and what".
_AR_PROCLITICS = "وفبلك"
# ...and Snowball's Arabic stemmer leaves the article after one of them ("والشحن", "بالشحن"):
# "and the", "so the", "with the", "like the" become the article alone, "and for the" "for the".
_AR_ARTICLE = re.compile(r"^[وف]?[بك]?(?=ال..)|^[وف](?=لل..)")


def is_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


class Analyzer:
    """Text -> index terms for one language. Cheap to call; build one per language (``analyzer``)."""

    def __init__(self, code: str) -> None:
        self.code = base(code)
        name = _SNOWBALL.get(self.code)
        self._stemmer = Stemmer.Stemmer(name) if name else None
        stop = set(_shipped_stop(self.code)) | set(_EXTRA_STOP.get(self.code, ()))
        self.stop = frozenset(self._prepare(w) for w in stop)
        self.cjk = self.code in ("ja", "zh")
        self.compounds = self.code in _COMPOUNDING
        self.proclitics = _AR_PROCLITICS if self.code == "ar" else ""  # written onto the next word

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
            if self.code == "ar":
                word = _AR_SPOKEN.get(word, word)
            if word.isdigit() or self._stop(word) or is_cjk(word) or (len(word) < 2 and not raw.isupper()):
                continue
            out.append(word)
        return out

    def _stop(self, word: str) -> bool:
        if word in self.stop:
            return True
        # "وما", "بلا", "فهل": a particle with a conjunction or preposition written onto it.
        return self.code == "ar" and len(word) > 2 and word[0] in _AR_PROCLITICS and word[1:] in self.stop

    @lru_cache(maxsize=65536)  # noqa: B019 - one analyzer per language, for the process's life
    def stem(self, word: str) -> str:
        if self.code == "ar":
            return self._stemmer.stemWord(_AR_ARTICLE.sub("", word))
        stemmed = self._stemmer.stemWord(word) if self._stemmer else word
        return fold(stemmed)

    def terms(self, text: str) -> list[str]:
        out: list[str] = []
        for run in _CJK.findall(self._prepare(text)):
            out.extend(self._ngrams(run))
        out += [self.stem(word) for word in self.words(_CJK.sub(" ", text))]
        return out

    def grams(self, text: str, n: int = 0) -> list[str]:
        """Character n-grams of the content words ("_rück", "rücks", ...): they meet where stems
        do not, in compounds (Kreditkartendaten / Kreditkarte) and inflections Snowball leaves
        apart (zurückgeschickt / zurückschicken). Not for CJK, whose terms are already pairs."""
        if self.cjk:
            return []
        n = n or (3 if self.code == "ar" else 4)
        out: list[str] = []
        for word in self.words(text):
            if self.code == "ar":  # the article would be a gram shared by half the words
                word = _AR_ARTICLE.sub("", word).removeprefix("ال") or word
            padded = f"_{fold(word)}_"
            out += [padded[i : i + n] for i in range(len(padded) - n + 1)]
        return out

    def _ngrams(self, run: str) -> list[str]:
        out: list[str] = []
        for piece in self._pieces(run):
            out += [piece[i : i + 2] for i in range(len(piece) - 1) if piece[i : i + 2] not in self.stop]
            # Single Han characters carry meaning (退 "return", 码 "size") and catch one-character words.
            out += [ch for ch in piece if "\u3400" <= ch <= "\u9fff"]
        if self.code == "ja":
            out += _JA_KANA_WORDS.findall(run)
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
