"""Natural English sentences over a closed vocabulary of common words, numbers spelled out.

A small phrase grammar (subjects, verbs with their objects' kinds, places, times, numbers) makes
sentences that read like everyday speech. Everything is driven by a numpy Generator, so a seed
gives the same sentences on every machine.
"""
import numpy as np

NAMES = """John Mary David Sarah Peter Anna Michael Emma James Laura Robert Alice Thomas Helen
Daniel Kate Paul Lucy Mark Jane George Susan Henry Grace Frank Ruth Tom Nancy Jack Rose Sam Linda
Ben Claire Adam Julia Oliver Emily Harry Sophie Martin Karen Steve Amy Chris Nina Victor Diana
Oscar Maria Simon Eva Leo Hannah Carl Olivia Max Ella Ryan Zoe""".split()

# (singular, plural or None for regular)
PEOPLE = """teacher doctor farmer driver student child:children woman:women man:men baker
nurse pilot artist writer singer player worker neighbor friend brother sister mother father
uncle aunt cousin boy girl baby king queen officer cook waiter manager guest stranger captain
soldier lawyer engineer dentist painter fisherman:fishermen builder guard clerk visitor
traveler scientist reporter""".split()

ANIMALS = """dog cat horse cow bird fish:fish sheep:sheep goat duck chicken rabbit mouse:mice
fox wolf:wolves bear lion tiger monkey frog snake deer:deer pig owl bee""".split()

FOOD = """apple bread cake egg orange banana sandwich potato:potatoes tomato:tomatoes carrot
cookie pie lemon onion peach pear cherry:cherries grape melon pizza biscuit sausage
pancake cucumber""".split()
FOOD_MASS = """rice soup milk tea coffee cheese butter sugar salt honey juice water meat chicken
fish pasta chocolate salad bread""".split()

THINGS = """book key box bag cup plate bottle chair table lamp clock phone camera ticket coin
watch:watches ring hat coat shoe sock glove umbrella pencil pen knife:knives spoon fork
basket bucket ladder hammer rope bell candle mirror picture blanket pillow towel brush
bicycle wallet guitar drum radio ball kite toy map wheel door window bench shirt dress jacket
scarf belt button envelope card stamp flag tent boat jar bowl glass:glasses dish:dishes
computer screen keyboard battery""".split()

READABLE = """letter book note story report newspaper magazine message poem list email
menu recipe""".split()

VEHICLES = """car bus:buses train truck bike taxi:taxis plane ship van tractor""".split()

PLACES = """kitchen garden school office station market library park hospital church bank
store shop airport beach river village city:cities town farm forest mountain lake hotel
restaurant museum theater bridge street road corner house room hall field island harbor
castle factory bakery classroom garage yard hill valley cafe zoo stadium pool gym
playground cinema bathroom bedroom basement attic office""".split()

ADJ = """big small old new young long short tall little large warm cold hot cool dark bright
heavy light clean dirty empty full quiet loud soft hard fast slow happy sad busy tired
strange simple beautiful ugly cheap expensive fresh dry wet sweet sour rich poor strong weak
red blue green yellow black white brown gray pink orange purple golden wooden broken
favorite lovely friendly careful famous special ordinary nice fine good bad great funny
wonderful terrible early late clever honest lucky brave angry calm kind polite""".split()
# adjectives that describe things and places (not people): colours, state, material
THING_ADJ = """big small old new long short large heavy light clean dirty empty full soft hard
red blue green yellow black white brown gray pink purple golden wooden broken cheap expensive
strange beautiful lovely special ordinary favorite""".split()
PEOPLE_ADJ = """young old tall happy sad busy tired friendly careful famous clever honest
lucky brave angry calm kind polite funny quiet""".split()
WEATHER_ADJ = """warm cold hot cool dark bright quiet windy sunny cloudy rainy foggy""".split()

ADV = """slowly quickly carefully quietly loudly happily easily suddenly finally always
usually often sometimes never really very quite""".split()

DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
MONTHS = """January February March April May June July August September October November
December""".split()
TIMES = ["yesterday", "today", "tomorrow", "this morning", "this afternoon", "this evening",
         "last night", "last week", "next week", "last year", "next year", "at noon",
         "in the morning", "in the evening", "after lunch", "before dinner", "after school",
         "at the weekend", "later today", "an hour ago", "a moment ago", "soon", "tonight"]
PREPS = ["in", "near", "behind", "next to", "under", "inside", "outside", "beside", "across",
         "in front of", "on the other side of", "close to"]

# verb: (base, past, third person, ing, object kinds). Regular forms are derived when "".
_V = [
    ("eat", "ate", "", "", "food"), ("cook", "", "", "", "food"),
    ("buy", "bought", "", "", "food thing readable vehicle"),
    ("sell", "sold", "", "", "food thing vehicle"),
    ("bring", "brought", "", "", "food thing readable"),
    ("carry", "carried", "carries", "", "thing food"),
    ("find", "found", "", "", "thing readable animal"), ("lose", "lost", "", "losing", "thing"),
    ("open", "", "", "", "thing readable"), ("close", "", "", "closing", "thing"),
    ("clean", "", "", "", "thing place vehicle"), ("fix", "", "fixes", "", "thing vehicle"),
    ("paint", "", "", "", "thing place"), ("move", "", "", "moving", "thing"),
    ("take", "took", "", "taking", "thing food readable"), ("hold", "held", "", "", "thing animal"),
    ("need", "", "", "", "thing food vehicle"), ("want", "", "", "", "thing food animal"),
    ("like", "", "", "liking", "thing food animal place readable"),
    ("see", "saw", "", "", "thing animal person vehicle place"),
    ("watch", "", "watches", "", "animal person"), ("read", "read", "", "", "readable"),
    ("write", "wrote", "", "writing", "readable"), ("send", "sent", "", "", "readable thing"),
    ("print", "", "", "", "readable"), ("meet", "met", "", "", "person"),
    ("call", "", "", "", "person"), ("help", "", "", "", "person"),
    ("visit", "", "", "", "person place"), ("thank", "", "", "", "person"),
    ("follow", "", "", "", "person animal vehicle"), ("feed", "fed", "", "", "animal"),
    ("wash", "", "washes", "", "thing vehicle animal"), ("drop", "dropped", "", "dropping", "thing"),
    ("break", "broke", "", "", "thing"), ("drive", "drove", "", "driving", "vehicle"),
    ("park", "", "", "", "vehicle"), ("order", "", "", "", "food thing"),
    ("share", "", "", "sharing", "food thing"), ("hide", "hid", "", "hiding", "thing"),
    ("keep", "kept", "", "", "thing animal"), ("borrow", "", "", "", "thing readable vehicle"),
    ("return", "", "", "", "thing readable"), ("choose", "chose", "", "choosing", "thing food"),
    ("check", "", "", "", "thing readable vehicle"), ("remember", "", "", "", "person place"),
    ("pick up", "picked up", "picks up", "picking up", "thing readable"),
    ("put away", "put away", "puts away", "putting away", "thing"),
    ("look for", "looked for", "looks for", "looking for", "thing person animal"),
    ("talk to", "talked to", "talks to", "talking to", "person"),
    ("wait for", "waited for", "waits for", "waiting for", "person vehicle"),
]
MOTION = [("go", "went", "goes", "going"), ("walk", "walked", "walks", "walking"),
          ("drive", "drove", "drives", "driving"), ("run", "ran", "runs", "running"),
          ("come back", "came back", "comes back", "coming back"),
          ("hurry", "hurried", "hurries", "hurrying"), ("travel", "traveled", "travels",
                                                          "traveling")]
INTRANS = [("sleep", "slept"), ("laugh", "laughed"), ("smile", "smiled"), ("sing", "sang"),
           ("dance", "danced"), ("work", "worked"), ("rest", "rested"), ("swim", "swam"),
           ("cry", "cried"), ("wait", "waited"), ("listen", "listened"), ("play", "played"),
           ("study", "studied"), ("arrive", "arrived"), ("leave", "left")]
MODALS = ["will", "can", "should", "must", "might", "could", "would"]

ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "\
       "fifteen sixteen seventeen eighteen nineteen".split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_words(n):
    """0 <= n < 1,000,000 in words, British 'and' after hundreds: 'three hundred and five'."""
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else " " + ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return ONES[n // 100] + " hundred" + ("" if rest == 0 else " and " + number_words(rest))
    rest = n % 1000
    head = number_words(n // 1000) + " thousand"
    if rest == 0:
        return head
    return head + (" and " if rest < 100 else " ") + number_words(rest)


def year_words(y):
    if 2000 <= y < 2010:
        return "two thousand" + ("" if y == 2000 else " and " + ONES[y - 2000])
    hi, lo = divmod(y, 100)
    return number_words(hi) + " " + (
        "hundred" if lo == 0 else ("oh " + ONES[lo] if lo < 10 else number_words(lo)))


def _split(entries):
    out = []
    for e in entries:
        s, _, p = e.partition(":")
        out.append((s, p or None))
    return out


def plural(word, given=None):
    if given:
        return given
    if word.endswith(("s", "sh", "ch", "x")):
        return word + "es"
    if word.endswith("y") and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def _regular(base, past, third, ing):
    head, _, tail = base.partition(" ")
    tail = (" " + tail) if tail else ""
    if not past:
        past = (head + "d" if head.endswith("e") else head + "ed") + tail
    if not third:
        third = plural(head) + tail
    if not ing:
        ing = (head[:-1] if head.endswith("e") and not head.endswith("ee") else head) + "ing" + tail
    return base, past, third, ing


VERBS = [(_regular(b, p, t, i), kinds.split()) for b, p, t, i, kinds in _V]


class Grammar:
    def __init__(self, rng):
        self.r = rng
        self.nouns = {
            "person": _split(PEOPLE), "animal": _split(ANIMALS), "food": _split(FOOD),
            "thing": _split(THINGS), "readable": _split(READABLE), "vehicle": _split(VEHICLES),
            "place": _split(PLACES),
        }

    def pick(self, seq):
        return seq[int(self.r.integers(len(seq)))]

    def chance(self, p):
        return self.r.random() < p

    def count(self):
        u = self.r.random()
        if u < 0.6:
            return int(self.r.integers(2, 21))
        if u < 0.9:
            return int(self.r.integers(21, 100))
        return int(self.r.integers(100, 1000))

    def adj_for(self, kind):
        return self.pick(PEOPLE_ADJ if kind == "person" else THING_ADJ)

    def np(self, kind, allow_plural=True, article=True):
        """A noun phrase of a kind: 'the old farmer', 'three red apples', 'my key'."""
        sing, pl = self.pick(self.nouns[kind])
        adj = (self.adj_for(kind) + " ") if self.chance(0.4) else ""
        if allow_plural and kind not in ("place",) and self.chance(0.25):
            n = self.count()
            return f"{number_words(n)} {adj}{plural(sing, pl)}", True
        if not article:
            return f"{adj}{sing}", False
        det = self.pick(["the", "the", "a", "my", "your", "his", "her", "our", "their", "this",
                         "that"])
        if det == "a" and (adj or sing)[0] in "aeiou":
            det = "an"
        return f"{det} {adj}{sing}", False

    def subject(self):
        """(text, third_person_singular)"""
        u = self.r.random()
        if u < 0.35:
            p = self.pick(["I", "you", "he", "she", "we", "they"])
            return p, p in ("he", "she")
        if u < 0.65:
            return self.pick(NAMES), True
        text, is_plural = self.np("person")
        return text, not is_plural

    def obj(self, kinds):
        kind = self.pick(kinds)
        if kind == "person" and self.chance(0.4):
            return self.pick(NAMES + ["him", "her", "them", "us", "me"])
        if kind == "food" and self.chance(0.3):
            return self.pick(["some ", "the ", "", "more "]) + self.pick(FOOD_MASS)
        return self.np(kind)[0]

    def place(self):
        return self.pick(["the", "the", "a", "our", "my"]) + " " + self.pick(self.nouns["place"])[0]

    def pp(self):
        return self.pick(PREPS) + " " + self.place()

    def when(self):
        u = self.r.random()
        if u < 0.6:
            return self.pick(TIMES)
        if u < 0.8:
            return "on " + self.pick(DAYS)
        if u < 0.9:
            return "in " + self.pick(MONTHS)
        return f"at {self.clock()}"

    def clock(self):
        h = int(self.r.integers(1, 13))
        m = self.pick([0, 0, 15, 30, 45, 5, 10, 20, 25, 40, 50])
        if m == 0:
            return f"{number_words(h)} o'clock"
        return f"{number_words(h)} {('oh ' + ONES[m]) if m < 10 else number_words(m)}"

    def opt(self, p, f):
        return (" " + f()) if self.chance(p) else ""

    # ----- sentence forms -----
    def s_past(self):
        s, _ = self.subject()
        (b, past, third, ing), kinds = self.pick(VERBS)
        return f"{s} {past} {self.obj(kinds)}{self.opt(0.35, self.pp)}{self.opt(0.4, self.when)}."

    def s_modal(self):
        s, _ = self.subject()
        (b, past, third, ing), kinds = self.pick(VERBS)
        neg = " not" if self.chance(0.15) else ""
        return f"{s} {self.pick(MODALS)}{neg} {b} {self.obj(kinds)}{self.opt(0.3, self.pp)}" \
               f"{self.opt(0.3, self.when)}."

    def s_present(self):
        s, third_sg = self.subject()
        (b, past, third, ing), kinds = self.pick(VERBS)
        freq = self.pick(["every day", "every morning", "every week", "on Sundays", "at night",
                          "in the summer", "twice a week", "every evening"])
        adv = (self.pick(["always", "usually", "often", "sometimes", "never"]) + " ") \
            if self.chance(0.4) else ""
        v = third if third_sg else b
        return f"{s} {adv}{v} {self.obj(kinds)}{self.opt(0.5, lambda: freq)}."

    def s_progressive(self):
        s, third_sg = self.subject()
        (b, past, third, ing), kinds = self.pick(VERBS)
        be = "am" if s == "I" else ("is" if third_sg else "are")
        tense = self.pick(["present", "past"])
        if tense == "past":
            be = "was" if (s == "I" or third_sg) else "were"
        return f"{s} {be} {ing} {self.obj(kinds)}{self.opt(0.4, self.pp)}."

    def s_motion(self):
        s, _ = self.subject()
        b, past, third, ing = self.pick(MOTION)
        tail = self.opt(0.5, self.when)
        if self.chance(0.4):
            (vb, vpast, _, _), kinds = self.pick(VERBS)
            return f"{s} {past} to {self.place()}{tail} and {vpast} {self.obj(kinds)}."
        return f"{s} {past} to {self.place()}{tail}."

    def s_intrans(self):
        s, _ = self.subject()
        b, past = self.pick(INTRANS)
        adv = self.opt(0.4, lambda: self.pick(ADV[:9]))
        return f"{s} {past}{adv}{self.opt(0.4, self.pp)}{self.opt(0.3, self.when)}."

    def s_there(self):
        kind = self.pick(["thing", "animal", "food", "person", "vehicle"])
        sing, pl = self.pick(self.nouns[kind])
        if self.chance(0.5):
            n = self.count()
            adj = (self.adj_for(kind) + " ") if self.chance(0.3) else ""
            were = self.pick(["are", "were"])
            return f"There {were} {number_words(n)} {adj}{plural(sing, pl)} {self.pp()}."
        adj = (self.adj_for(kind) + " ") if self.chance(0.5) else ""
        det = "an" if (adj or sing)[0] in "aeiou" else "a"
        return f"There {self.pick(['is', 'was'])} {det} {adj}{sing} {self.pp()}."

    def s_describe(self):
        kind = self.pick(["thing", "place", "animal", "food", "vehicle"])
        sing, _ = self.pick(self.nouns[kind])
        det = self.pick(["The", "This", "That", "My", "Your", "Our"])
        be = self.pick(["is", "was"])
        deg = (self.pick(["very", "quite", "really", "too", "so"]) + " ") if self.chance(0.5) else ""
        a1 = self.adj_for(kind)
        tail = f" and {self.adj_for(kind)}" if self.chance(0.35) else ""
        return f"{det} {sing} {be} {deg}{a1}{tail}."

    def s_weather(self):
        return self.pick([
            f"It {self.pick(['is', 'was'])} {self.pick(['very ', 'quite ', ''])}"
            f"{self.pick(WEATHER_ADJ)} {self.pick(['today', 'outside', 'this morning', 'last night'])}.",
            f"It {self.pick(['will be', 'might be'])} {self.pick(WEATHER_ADJ)} "
            f"{self.pick(['tomorrow', 'tonight', 'next week', 'later today', 'soon'])}.",
        ])

    def s_question(self):
        s, third_sg = self.subject()
        (b, past, third, ing), kinds = self.pick(VERBS)
        o = self.obj(kinds)
        u = self.r.random()
        if s != "I":
            s_low = s if s in NAMES else s.lower() if s in ("You", "He") else s
        else:
            s_low = s
        if u < 0.25:
            return f"Did {s_low} {b} {o}{self.opt(0.4, self.when)}?"
        if u < 0.45:
            return f"Can you {b} {o}{self.opt(0.4, self.pp)}?"
        if u < 0.6:
            sing, pl = self.pick(self.nouns[self.pick(['thing', 'food', 'animal'])])
            return f"How many {plural(sing, pl)} did {self.pick(NAMES)} " \
                   f"{self.pick(['buy', 'find', 'see', 'bring', 'want', 'need'])}?"
        if u < 0.75:
            return f"Where did {s_low} {self.pick(['put', 'find', 'leave', 'hide'])} " \
                   f"{self.np('thing', allow_plural=False)[0]}?"
        if u < 0.85:
            return f"What time does {self.place()} {self.pick(['open', 'close'])}?"
        return f"Why is {self.np(self.pick(['thing', 'place']), allow_plural=False)[0]} so " \
               f"{self.pick(THING_ADJ)}?"

    def s_said(self):
        who = self.pick(NAMES)
        verb = self.pick(["said", "told me", "thinks", "knows", "heard", "wrote"])
        inner = self.s_past()
        inner = inner[0].lower() + inner[1:] if not inner.startswith(("I ",) + tuple(
            n + " " for n in NAMES)) else inner
        return f"{who} {verb} that {inner}"

    def s_please(self):
        (b, past, third, ing), kinds = self.pick(VERBS)
        tail = self.pick(["", f" before {self.pick(['lunch', 'dinner', 'noon', 'Monday', 'tonight'])}",
                          f" {self.pp()}", f" {self.pick(['now', 'again', 'later', 'soon'])}"])
        return f"Please {b} {self.obj(kinds)}{tail}."

    def s_numbers(self):
        u = self.r.random()
        name = self.pick(NAMES)
        if u < 0.3:
            return f"{self.pick(['The', 'This', 'That'])} {self.pick(self.nouns['thing'])[0]} " \
                   f"{self.pick(['costs', 'cost'])} {number_words(self.count())} dollars."
        if u < 0.5:
            return f"The {self.pick(self.nouns['vehicle'])[0]} leaves at {self.clock()}."
        if u < 0.65:
            return f"{name} was born in {year_words(int(self.r.integers(1930, 2010)))}."
        if u < 0.8:
            return f"{name} is {number_words(int(self.r.integers(3, 95)))} years old."
        sing, pl = self.pick(self.nouns[self.pick(['thing', 'animal', 'food'])])
        sing2, pl2 = self.pick(self.nouns[self.pick(['thing', 'animal', 'food'])])
        return f"{name} has {number_words(self.count())} {plural(sing, pl)} and " \
               f"{number_words(self.count())} {plural(sing2, pl2)}."

    def s_contraction(self):
        return self.pick([
            f"I don't {self.pick(['think', 'believe', 'know if'])} the "
            f"{self.pick(self.nouns['thing'])[0]} is {self.pick(THING_ADJ)}.",
            f"It's {self.pick(WEATHER_ADJ)} {self.pick(['today', 'outside', 'again'])}.",
            f"{self.pick(NAMES)}'s {self.pick(self.nouns['thing'])[0]} is "
            f"{self.pp()}.",
            f"We can't {self.pick(['find', 'buy', 'open', 'carry', 'move', 'see'])} "
            f"{self.obj(['thing'])} "
            f"{self.pick(['today', 'now', 'yet', 'here'])}.",
            f"They didn't {self.pick(['see', 'find', 'like', 'want'])} "
            f"{self.obj(['thing', 'animal', 'food'])}.",
            f"She's {self.pick(['going', 'walking', 'driving'])} to {self.place()} "
            f"{self.pick(TIMES)}.",
        ])

    FORMS = ["s_past", "s_past", "s_modal", "s_present", "s_progressive", "s_motion", "s_intrans",
             "s_there", "s_describe", "s_weather", "s_question", "s_question", "s_said",
             "s_please", "s_numbers", "s_numbers", "s_contraction"]

    def sentence(self, max_words=16):
        while True:
            s = getattr(self, self.pick(self.FORMS))()
            s = s[0].upper() + s[1:]
            if 3 <= len(s.split()) <= max_words:
                return s


def sentences(seed, n, max_words=16):
    """n distinct sentences from one seed."""
    g = Grammar(np.random.default_rng(seed))
    seen, out = set(), []
    while len(out) < n:
        s = g.sentence(max_words)
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


def vocabulary(texts):
    import re
    words = set()
    for t in texts:
        words.update(re.sub(r"[^a-z' ]", " ", t.lower()).split())
    return words


if __name__ == "__main__":
    import sys
    ss = sentences(1, int(sys.argv[1]) if len(sys.argv) > 1 else 20)
    for s in ss[:30]:
        print(s)
    v = vocabulary(ss)
    print(len(ss), "sentences,", len(v), "words; mean words",
          sum(len(s.split()) for s in ss) / len(ss))
