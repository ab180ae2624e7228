"""What a factoid question asks for: the kind of thing its answer names (a person, a place, an amount of money, a
date) and the attribute it asks about ("the capital of", "what discount"), read from its wording.

A sentence that names nothing of that kind, or nothing the question does not already name, does not answer it:
"T-Mobile CEO John Legere is stepping down" answers no "who replaces John Legere?"."""
import re
from dataclasses import dataclass
from functools import lru_cache

PEOPLE = {"PERSON"}
# What only someone does: "who heads the team", "who led the scoring", "who founded the start-up".
PERSON_VERB = re.compile(r"\s+(?:heads?|headed|leads?|led|(?:co-?)?found(?:s|ed)|start(?:s|ed)|chairs?|chaired|directs?|directed|"
                         r"coach(?:es|ed)?|scored|wrote|starred|sang|testified)\b")
GROUPS = {"ORG", "NORP", "GPE"}  # "who won" may be a team, a country or a party
PLACES = {"GPE", "LOC", "FAC"}
TIMES = {"DATE", "TIME"}
NUMBERS = {"CARDINAL", "MONEY", "PERCENT", "QUANTITY"}
MONEY = {"MONEY"}
NAMED = {"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW"}
INFORMATIVE = frozenset(NAMED | NUMBERS | {"DATE"})  # what a fact names: who, where, how much, when

# The nouns after "which"/"what" that say what kind of thing is asked for. Not exhaustive: a noun not here leaves the
# question untyped, and its answer is then judged by the attribute alone.
PERSON_NOUNS = set("""person people man woman men women boy girl child son daughter father mother wife husband brother sister
player goalie coach manager owner founder cofounder co-founder ceo executive president chairman chairwoman chair director
minister secretary senator governor mayor lawmaker official spokesman spokeswoman spokesperson scientist researcher
professor doctor physician surgeon nurse lawyer attorney judge prosecutor officer sergeant detective agent author
writer journalist reporter editor actor actress singer rapper artist musician producer star athlete striker goalkeeper
keeper quarterback pitcher lineman linebacker cornerback safety receiver defenseman forward midfielder defender winger
driver pilot astronaut aide adviser advisor analyst economist investor leader candidate ambassador envoy diplomat
general commander soldier victim suspect killer gunman attacker hunter passenger student teacher member speaker host
presenter anchor publicist designer engineer architect chef king queen prince princess pope bishop priest rabbi imam
scholar expert historian critic rival opponent winner champion heir successor predecessor ombudsman commissioner
chancellor premier lawmaker congressman congresswoman representative footballer cricketer golfer boxer swimmer skier
cyclist runner jockey buyer seller trader banker teenager worker employee staffer fighter""".split())
PLACE_NOUNS = set("""city town village country nation state province county region area district neighborhood neighbourhood
island continent place location venue stadium arena street road port airport mountain river lake sea ocean park
building hotel mall prison jail camp facility plant factory base border""".split())
ANYONE = set("person people man woman men women boy girl child kid son daughter teenager resident".split())
GROUP_NOUNS = set("""company firm team club carrier airline party agency network group bank university school college
organization organisation outlet newspaper publication label studio brand retailer manufacturer automaker carmaker
startup business union charity government ministry department court hospital broadcaster channel website platform
app service provider supplier conference summit festival show fair expo tournament championship league race election
award prize ceremony event convention forum album song film movie book series game magazine novel""".split())
PEOPLES_NOUNS = set("country nation state party team group government union club".split())
TIME_NOUNS = set("year date day month time season decade century week weekend hour night morning evening afternoon".split())
NUMBER_NOUNS = set("""number amount total share percentage percent proportion fraction rate ratio score age height length
distance speed temperature size population capacity range weight margin""".split())
GENERIC_NUMBERS = set("number amount total share percentage percent proportion fraction rate ratio score".split())
# A share is a percentage ("what share of Titan's surface": 65 percent), and so is a rate of growth, of unemployment ...
# (not a frame rate or a heart rate).
PERCENT_NOUNS = set("share percentage percent proportion".split())
PERCENT_RATES = set("growth unemployment inflation interest poverty approval mortality vacancy participation tax turnout".split())
UNIT = re.compile(r"(?:mile|kilometer|kilometre|km|meter|metre|feet|foot|inch|yard|pound|lb|kilogram|kg|gram|ton|tonne|"
                  r"gallon|liter|litre|barrel|acre|hectare|degree|calorie|watt|megawatt|gigawatt|byte|megabyte|gigabyte|"
                  r"terabyte|mph|kph|km/h|hp|horsepower|point|goal|run|yard)e?s?", re.I)
MONEY_NOUNS = set("""price cost fee fine salary worth budget revenue profit loss sales value payment compensation bonus bail
bond damages severance debt equity capital investment loan aid subsidy tax tariff fund funding money cash""".split())
MONEY_WORDS = (r"cost|costs|costing|pay|paid|pays|paying|price|priced|worth|spend|spent|spending|raise|raised|fine|fined|"
               r"charge|charged|earn|earned|sell|sold|buy|bought|value|valued|revenue|salary|budget|fund|funding|invest|"
               r"invested|owe|owed|fee|damages|severance|compensation")
TITLE_NOUNS = set("title name names nickname slogan motto hashtag headline".split())
# A work's title is written as one ('Half Life: Alyx') or tagged as a work; the people and places of a sentence about an
# EP ("with producer John Shanks (Bon Jovi, ...)") are not its title.
WORK_NOUNS = set("""album ep single song track record film movie documentary book novel memoir game show series episode
podcast play musical opera painting poem""".split())
WORKS = frozenset({"WORK_OF_ART", "PRODUCT", "EVENT", "LAW", "TITLE"})  # TITLE: a quoted title (holds)
# Words that say only what kind of thing is asked for: the entity kind checks them, no word of the answer need echo them.
KIND_WORDS = set("name names title number amount date time year place location person".split())
LEXICON = PERSON_NOUNS | PLACE_NOUNS | GROUP_NOUNS | TIME_NOUNS | NUMBER_NOUNS | MONEY_NOUNS | TITLE_NOUNS
AUXILIARIES = set("did does do is was are were has have had will would can could should may might must".split())

STOP = set("""the a an of in on at to for from by with and or is are was were be been being do does did has have had will
would can could should may might this that these those it its their his her they them he she you we i as about into
than then there what which who whom whose when where why how many much""".split())


@dataclass(frozen=True)
class Asked:
    """wants: entity labels one of which the answer must name (and the question not); empty when the wording does
    not say. focus: the word for what is asked about ("discount" in "what discount"), which a sentence using is
    likelier to answer."""
    wants: frozenset = frozenset()
    focus: tuple = ()
    numeric: bool = False  # a number the question does not hold will do, where the entity recogniser misses one
    noun: str = ""  # the noun naming what is asked for ("which Austrian minister"): a sentence using it is likelier the answer
    attribute: str = ""  # "the capital of Australia": an answer must speak of the capital, not only name a city
    counted: tuple = ()  # "how many electric vehicle models": an answer must speak of one of these (vehicles)
    literal: bool = False  # the attribute must be named, not only spoken of in close words ("the name of the ship")
    shape: str = ""  # "age": a figure said as an age; "year": a date holding a year


def singular(word: str) -> str:
    word = re.sub(r"['’]s$", "", word)
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")) and len(word) > 4:  # passes, dishes, matches, taxes
        return word[:-2]
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")) else word


def nouns(question: str, start: int, form=singular) -> list[tuple[str, str]]:
    """The (word, part of speech) of the noun phrase that starts at offset `start` of the question, up to its verb:
    "Which Cleveland defensive lineman said ..." -> Cleveland, defensive, lineman; each word lower case and, unless
    `form` says otherwise, singular."""
    from .entities import parts_of_speech

    out = []
    for offset, word, pos in parts_of_speech(question):
        if offset < start:
            continue
        if pos in ("NOUN", "PROPN", "ADJ", "NUM") or word.lower() == "of" or (pos == "PUNCT" and word == "-"):
            out.append((form(word.lower()), pos))
        elif out or pos not in ("DET", "ADV", "SPACE"):
            break
    return out


@lru_cache(maxsize=1024)
def question_nouns(question: str) -> frozenset:
    """The common nouns of a question, singular and lower case (tagged once per question, however many sentences ask)."""
    from .entities import parts_of_speech

    return frozenset(singular(w.lower()) for _, w, pos in parts_of_speech(question) if pos == "NOUN")


def plural_head(question: str) -> bool | None:
    """Whether the noun phrase after a question's opening which/what has a plural head ("which companies", "what two
    products"; not "which Nissan North America sales executive", whose plural-looking "sales" qualifies the head);
    None when there is no such phrase."""
    m = re.match(r"\s*(?:which|what)\s+", question, re.I)
    common = [w for w, pos in before_of(nouns(question, m.end(), form=str)) if pos == "NOUN"] if m else []
    return singular(common[-1]) != common[-1] if common else None


def before_of(phrase: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A noun phrase up to its "of": the head of "the group of WeWork employees" is the group."""
    return phrase[:[w for w, _ in phrase].index("of")] if ("of", "ADP") in phrase else phrase


def kind_of_noun(noun: str) -> frozenset:
    if noun in PERSON_NOUNS or (noun not in LEXICON and re.search(r"..(ist|ian|man|woman)$", noun)):
        return frozenset(PEOPLE)
    # The recogniser often tells places, buildings and organisations apart wrongly ("Hoa Lo prison", "Chaoyang
    # Hospital"): for a place or an organisation, a name of any of these kinds will do.
    if noun in PLACE_NOUNS or noun in GROUP_NOUNS:
        # ... but a people ("American", "Indian") names no airline, mall or company, only a country, party or team.
        return frozenset(NAMED - PEOPLE) if noun in PEOPLES_NOUNS else frozenset(NAMED - PEOPLE - {"NORP"})
    if noun in TIME_NOUNS:
        return frozenset(TIMES)
    if noun in MONEY_NOUNS:
        return frozenset(MONEY)
    if noun in NUMBER_NOUNS:
        return frozenset(NUMBERS | TIMES) if noun == "age" else frozenset(NUMBERS)
    return frozenset()


SORTS = set("type kind sort form variety".split())  # "what type of cancer" asks for a cancer


def kind_of_phrase(question: str, start: int, head_first: bool = False) -> tuple[frozenset, str]:
    """The kind of the thing the noun phrase at `start` names, and its head noun: its last common noun ("which
    Beijing hospital", "which University of Washington professor"), or with head_first its first ("the group of
    WeWork employees" is a group). No kind when the head is not a known kind of thing ("what discount")."""
    phrase = nouns(question, start)
    # "what share of young people": the share, not the people ("which University of Washington professor": no common
    # noun before its "of", so the whole phrase)
    common = [w for w, pos in before_of(phrase) if pos == "NOUN" and w not in SORTS] or [w for w, pos in phrase if pos == "NOUN" and w != "of"]
    if not common:
        return frozenset(), ""
    head = common[0] if head_first else common[-1]
    if not head_first and not kind_of_noun(head) and head not in PERCENT_NOUNS | {"rate"}:
        # The tagger reads some verbs as nouns ("which State Department official overheard Trump"): the last noun of a
        # known kind is the head then.
        head = next((w for w in reversed(common) if kind_of_noun(w)), head)
    if head in PERCENT_NOUNS or (head == "rate" and len(common) > 1 and common[-2] in PERCENT_RATES):
        return frozenset({"PERCENT"}), head
    return kind_of_noun(head), head


def read(question: str) -> Asked:
    """What a lookup question asks for."""
    question = " ".join(question.split())
    low = question.lower()
    # "what is the name of the hunter", "what is the capital of Australia": the attribute is the noun before "of";
    # a name or title asks for whatever the noun after "of" names.
    m = re.search(r"\b(?:what|which)\s+(?:is|was|are|were|'s)\s+(?:the|its|their|his|her)\s+(?:[\w-]+\s+){0,2}?([\w-]+)\s+of\s+(.+)", low)
    if m:
        attribute, rest = singular(m.group(1)), m.group(2)
        if attribute in ("address", "site", "url", "website") and re.search(r"\b(?:web|website|site|url|online)\b", low):
            return Asked(frozenset({"URL"}))  # "what is the website address of the initiative": onmeth.com
        if attribute in TITLE_NOUNS:
            # People when the head noun is a person ("the two US service members", "the 8-year-old girl", not "the
            # group of WeWork employees"): the last noun before any "of", a hyphenated compound's parts left out.
            phrase = before_of(nouns(question, m.start(2)))
            common = [w for k, (w, pos) in enumerate(phrase) if pos == "NOUN" and "-" not in (phrase[k - 1][0] if k else "", phrase[k + 1][0] if k + 1 < len(phrase) else "")]
            if attribute == "title" and set(re.findall(r"[a-z]+", rest)[:10]) & WORK_NOUNS:
                return Asked(WORKS)
            if common and kind_of_noun(common[-1]) == PEOPLE:
                # "the name of the publicist who quit": who is named must be spoken of as one (a man, a girl could be
                # anyone the sentence names)
                return Asked(frozenset(PEOPLE), attribute=common[-1] if common[-1] not in ANYONE else "")
            if common and common[-1] not in KIND_WORDS:
                # "the name of the surplus ship", "of the Saket mall": a thing's name is no one's ("Esper announced ...")
                # nor a people's ("a surplus American ship"), and it is given beside the word ship or mall ("maritime
                # claims" is close to a ship, and names none).
                return Asked(frozenset(NAMED - PEOPLE - {"NORP"}), attribute=common[-1], literal=True)
            return Asked(frozenset(NAMED))
        kind = kind_of_noun(attribute)
        # "the population of Hong Kong" must be spoken of ("one country, two systems" gives no population); "the number
        # of", "the price of" (priced, costs) and "the date of" say only what kind of thing the answer is.
        plain_kind = attribute in KIND_WORDS or attribute in GENERIC_NUMBERS | MONEY_NOUNS | TIME_NOUNS
        return Asked(kind, () if kind or attribute in KIND_WORDS else (attribute,), bool(kind & (NUMBERS | MONEY)),
                     attribute=attribute if not plain_kind else "")
    if re.search(r"\b(?:what|how)\s+(?:is|are|was|were)\s+.+\bcalled\b|\bwhat\s+(?:is|was)\s+(?:his|her|their|its)\s+name\b", low):
        return Asked(frozenset(NAMED))
    # "what was India's GDP growth rate": the kind of the noun after the possessive.
    m = re.match(r"\s*(?:what|which)\s+(?:is|was|are|were)\s+(?:[\w.&-]+\s+){0,4}?[\w.&-]+['’]s\s+", low)
    if m:
        kind, noun = kind_of_phrase(question, m.end())
        if kind:
            return Asked(kind, (), bool(kind & (NUMBERS | MONEY)), noun)
    opening = re.search(r"\b(who|whom|whose|when|where|why|how|which|what)\b(.*)", low)
    if not opening:
        return Asked()
    wh, rest = opening.group(1), opening.group(2)
    after = opening.start(2)
    if wh in ("who", "whom", "whose"):
        # "who is the chief executive of Boeing" asks for a person; "who won" may be a team or a country.
        # ... and so does "who is PG&E's chief executive", "who is China's ambassador to Britain".
        role = re.match(r"\s+(?:is|was|are|were|'s)\s+(?:the|its|their|his|her|[\w.&-]+['’]s)\s+([\w\s-]+?)(?:\s+(?:of|at|for|in|on|who|that)\b|[?,]|$)", rest)
        held = [singular(w) for w in role.group(1).split()[-3:] if singular(w) in PERSON_NOUNS] if role else []
        person = held or PERSON_VERB.match(rest)
        return Asked(frozenset(PEOPLE if person else PEOPLE | GROUPS), noun=held[-1] if held else "")
    if wh == "when":
        return Asked(frozenset(TIMES))
    if wh == "where":
        # "where did US crude end up", "where did the Dow close": a price, a level or a standing will do as well.
        # ... and so does a pick: "where was Myles Garrett taken in the draft" (first)
        if re.search(r"\b(?:end(?:s|ed)? up|clos(?:e|es|ed)|settl(?:e|es|ed)|finish(?:es|ed)?|stand|stood|rank(?:s|ed)?)\b", rest) or \
                re.search(r"\b(?:taken|picked|drafted|selected)\b.*\bdraft\b", rest):
            return Asked(frozenset(PLACES | {"ORG"} | NUMBERS | {"ORDINAL"}), numeric=True)
        return Asked(frozenset(PLACES | {"ORG"}), numeric=True)
    if wh == "how":
        m = re.match(r"\s+(many|much|long|old|far|big|large|tall|high|fast|often|deep|heavy|wide)\b(.*)", rest)
        if not m:
            return Asked()
        what, tail = m.group(1), m.group(2)
        # What is counted or measured ("how many jobs", "how much severance"): a figure of something else is no answer.
        phrase = nouns(question, after + m.start(2)) if what in ("many", "much") else []
        counted = tuple(w for w, pos in phrase if pos == "NOUN")
        # ... unless a name says what it is ("how many H100 GPUs": the H100s), or the noun says only "a number".
        counted = () if set(counted) & (KIND_WORDS | GENERIC_NUMBERS | {"money"}) or any(pos == "PROPN" for _, pos in phrase) else counted
        if what == "much" and re.search(rf"\b(?:{MONEY_WORDS})\b|\$|money|dollars|euros|pounds", tail):
            return Asked(frozenset(MONEY), numeric=True, counted=counted)
        if what == "old":  # an age, said as one: "48-year-old", "Assange, 47,", "aged 48"
            return Asked(frozenset(NUMBERS | TIMES), numeric=True, shape="age")
        if what in ("long", "often"):
            return Asked(frozenset(NUMBERS | TIMES), numeric=True)
        if what == "many":  # a count, not an amount of money, nor a measure unless it counts units ("how many miles")
            unit = re.match(r"\s+([\w-]+)", tail)
            measure = bool(unit and UNIT.fullmatch(unit.group(1)))
            return Asked(frozenset({"CARDINAL", "QUANTITY"} if measure else {"CARDINAL"}), numeric=True, counted=counted)
        # "how much horsepower": an amount of money ("It will start at $44,000") is not what is measured.
        if set(counted) & MONEY_NOUNS:
            return Asked(frozenset(MONEY), numeric=True, counted=counted)
        return Asked(frozenset(NUMBERS - MONEY) if counted else frozenset(NUMBERS), numeric=True, counted=counted)
    if wh in ("which", "what"):
        if wh == "what" and re.search(r"\b(?:does|did|do|will|would|could|should)\b.*\b(?:cost|costs)\b", rest):
            return Asked(frozenset(MONEY), numeric=True)
        kind, noun = kind_of_phrase(question, after)
        if noun == "year":
            return Asked(kind, noun=noun, shape="year")
        if kind:
            return Asked(kind, (), bool(kind & (NUMBERS | MONEY)), noun)
        if noun in TITLE_NOUNS:
            return Asked(frozenset(NAMED))
        # "what discount", "what injury", "what rating": the noun is the attribute, the answer's kind unknown.
        if noun and noun not in KIND_WORDS:
            return Asked(focus=(noun,))
    return Asked()


# A sentence saying the asked fact is not known ("the price wasn't announced") answers by saying so.
UNKNOWN = re.compile(
    r"\b(?:(?:has|have|had|was|were|is|are)(?:n['’]t| not) (?:yet )?(?:been )?(?:announced|confirmed|disclosed|released|revealed|"
    r"made public|determined|decided|specified|set|named|identified|known)|not (?:yet )?(?:been )?(?:announced|confirmed|disclosed|"
    r"revealed|made public|identified)|undisclosed|unclear|unknown|(?:declined|refused) to (?:say|comment|disclose|specify|give|"
    r"reveal|name|confirm|provide)|(?:did|does|would|will)(?:n['’]t| not) (?:say|disclose|specify|give|reveal|name|confirm|"
    r"comment|provide)|no (?:\w+ )?(?:date|price|figure|details?|timeline|name) (?:has|have|was|were|is) (?:yet )?(?:been )?"
    r"(?:announced|given|set|released|disclosed|confirmed)|(?:has|have|is|are) yet to (?:be )?(?:announce|confirm|disclose|"
    r"reveal|decide|name|set|determine|say)|remains? to be seen|(?:it|that)(?:['’]s| is| was)(?:n['’]t| not) (?:yet )?"
    r"(?:clear|known))\b", re.I)
SPELLED = (r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|"
           r"seventy|eighty|ninety|hundred|thousand|million|billion|dozen")
CURRENCIES = r"dollars|euros?|pounds|yen|yuan|rupees|francs|rubles|roubles|naira|pesos|lakh|crore|cents?"
# ... and the naira as Nigerian papers write it: "N500m", "N2.5bn"
CURRENCY = re.compile(rf"[$€£¥₹₦]\s?\d|(?:\d[\d,.]*|\b(?:{SPELLED}))\s*(?:million|billion|trillion|bn|m|k)?\s*(?:{CURRENCIES})\b|"
                      r"\b(?:Rs|USD|EUR|GBP|INR|NGN)\.?\s?\d|\bN\d[\d,.]*\s?(?:m|bn|million|billion|trillion)\b", re.I)
DATELINE = re.compile(r"^\s*[A-Z][A-Z.'’ -]{2,}(?:,\s*[A-Z][\w.'’ -]{1,40}?)?\s*(?:\([^)]{1,40}\))?\s*[—–-]\s")
MONEY_WORD = re.compile(rf"[$€£¥₹₦]|\b(?:dollar|{CURRENCIES}|Rs|USD|EUR|GBP|INR|bn)\b", re.I)


def priced(amount: str, text: str) -> bool:
    """Whether an amount the tagger read as money names a currency, in it or in the few words after it ("88 billion
    Hong Kong dollars"); "more than 6 million Sentra vehicles" does not."""
    at = text.find(amount)
    return bool(MONEY_WORD.search(amount) or (at >= 0 and MONEY_WORD.search(" ".join(text[at + len(amount):].split()[:4]))))


# "no one knows"; "two people familiar with the matter" are sources, not a count
NOT_A_COUNT = re.compile(r"\b(?:no|any|some|every|each|the|this|that|which)\s+one\b|\bone\s+(?:of|another)\b|"
                         r"\b\w+\s+(?:people|persons|sources|officials)\s+(?:familiar|close|briefed|with (?:direct )?knowledge)\b", re.I)
NUMBER = re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|hundred|thousand|"
                    r"million|billion|half|third|quarter)\b", re.I)
CLOCK = re.compile(r"\b(?:at|by|until|from|before|after)\s+(?:\d{1,2}(?::\d\d)?|one|two|three|four|five|six|seven|eight|nine|ten|"
                   r"eleven|twelve|noon|midnight)\b(?:\s*(?:a\.?m\.?|p\.?m\.?|o['’]clock))?", re.I)
FOCUS_SIMILAR = 0.5  # word-to-word cosine of all-MiniLM-L6-v2: price~cost 0.74, revenue~sales 0.65, capital~city 0.44,
# discount~order 0.31, rating~unproven 0.21 (measured on single words): related words sit above it, others below
# An attribute ("the population of Hong Kong") must be spoken of more closely: population~people is 0.53 ("after people
# threw petrol bombs"), population~inhabitants 0.57. At 0.55 for every use, off-topic refusals rose 0.88 -> 0.92 but
# the first sentence fell 0.686 -> 0.669 and a count of people living in a camp ("population ... 40,000") was lost.
ATTRIBUTE_SIMILAR = 0.55


def new_entities(question: str, found: tuple, labels: frozenset) -> list[str]:
    """The entities of a sentence, of the wanted labels, that the question does not already name (someone it names by
    surname included: "Jeffrey Epstein" for a question about Epstein)."""
    from .entities import plain

    asked = plain(question)
    asked_words = set(asked.split())
    out = []
    for label, text in found:
        name = plain(text)
        if re.fullmatch(r"(?:[A-Z]\.)+[A-Z]?\.?", text):  # "U.S." is the question's "US"
            name = text.replace(".", "").lower()
        if (label in labels and name and name not in asked and not set(name.split()) <= asked_words
                and not (label == "PERSON" and name.split()[-1] in asked_words)):
            out.append(text)
    return out


def speaker(name: str, text: str) -> bool:
    """Whether a one-word name is someone's: it says something ("Stafford said") or has a title ("Dr. Li")."""
    n = re.escape(name)
    return bool(re.search(rf"\b{n}\s+(?:said|says|told|added|wrote|explained|noted|argued|asked|testified)\b|"
                          rf"\b(?:said|says|told|added|according to)\s+{n}\b|"
                          rf"\b(?:Mr|Mrs|Ms|Dr|Prof|Rep|Sen|Gov|Gen|Sgt|Lt|Col|Capt)\.?\s+{n}\b", text))


SAYING = re.compile(r"\b(?:say|says|said|saying|tell|told|announc\w*|claim\w*|compar\w*|warn\w*|argu\w*|stat(?:e|ed|es)|"
                    r"wr(?:ite|ote|itten)|call\w*|describ\w*|explain\w*|accus\w*|critici[sz]\w*|prais\w*|testif\w*|"
                    r"urg\w*|add\w*|quot\w*|link\w*|blam\w*|predict\w*|confirm\w*|deni\w*|den(?:y|ies)|report\w*|"
                    r"interview\w*|speak\w*|spoke\w*|comment\w*|respond\w*|repl\w*|insist\w*|suggest\w*|believ\w*)\b", re.I)


def source_only(name: str, text: str) -> bool:
    """Whether a person is named in a sentence only as the source of what it reports ("…," said U.S. Attorney Erin Nealy
    Cox; "according to Alex Horton of the Washington Post"), and so is not who a question about someone else asks for."""
    n = re.escape(name)
    attributed = (rf"\b(?:said|says|according to|told|wrote|reported)\s+(?:[A-Z][\w.]*\s+){{0,4}}?{n}\b|"
                  rf"\b{n}(?:,[^,]{{1,80}},)?\s+(?:said|says|told|wrote|reported|added|explained)\b")
    rest = re.sub(attributed, " ", text)
    return re.search(attributed, text) is not None and re.search(rf"\b{n}\b", rest) is None


ROLE_SHORT = {"executive": "ceo|chief executive", "officer": "ceo|cfo|coo|cto", "president": "president|pres", "representative": "rep",
              "senator": "sen", "governor": "gov", "secretary": "secretary|sec"}


def titled(name: str, text: str, role: str) -> bool:
    """Whether a sentence gives someone the role a question asks about, beside their name ("company CEO Andy Vesey",
    "Jack Buser, director for games at Google"): such a person is who the question asks for, though only quoted."""
    if not role:
        return False
    title = ROLE_SHORT.get(role, re.escape(role))
    n = re.escape(name)
    return re.search(rf"\b(?:{title})s?\.?\s+(?:[A-Z][\w.&'’-]*\s+){{0,2}}{n}\b|\b{n},\s+(?:[\w&.'’-]+\s+){{0,3}}?(?:{title})s?\b", text, re.I) is not None


# Offices a sentence may name someone by: "Afghan President Ashraf Ghani" holds no office a question asks for by another
# ("which Taliban commanders"). Roles any office holder may fill (official, leader, executive) are never another's.
OFFICES = set("""president minister secretary senator governor mayor ambassador chancellor premier king queen prince princess
pope judge general commander chairman chairwoman ceo congressman congresswoman coach""".split())
# ... and offices that are one ("Foreign Secretary Dominic Raab" is a minister)
ALIKE = {r: family for family in ({"minister", "secretary", "chancellor", "premier"}, {"general", "commander"}) for r in family}
SHORTENED = {"sen": "senator", "gov": "governor", "gen": "general", "rep": "representative", "pres": "president"}


def another_office(name: str, text: str, role: str) -> bool:
    """Whether a sentence gives someone an office other than the one a question asks about, by the title before their
    name: the Afghan president is not one of the Taliban commanders freed."""
    if role not in OFFICES or titled(name, text, role):
        return False
    m = re.search(rf"\b([A-Za-z]+)\.?\s+{re.escape(name)}\b", text)
    title = m and SHORTENED.get(m.group(1).lower(), m.group(1).lower())
    return bool(title) and title in OFFICES and title != role and not {title, role} <= ALIKE.get(role, set())


def squeezed(name: str) -> str:
    return re.sub(r"\W+", "", name.lower())


# "$22.6bn", "$5M", "$10-a-month", "a 48-year-old" (the case matters: a "4K" screen is no amount)
MAGNITUDE = re.compile(r"a|an|per|k|m|M|mn|bn|Bn|BN|b|B|tn|trn|million|billion|trillion|(?:second|minute|hour|day|week|month|year)s?")


def glued(text: str, counted: tuple) -> str:
    """text without the figures that are part of a word ("4K-ready", "a 3-pointer", "5G"): no count or amount, unless
    the word is a unit or what is counted ("a 30-point game", "a 12-vehicle pileup")."""
    def keep(m: re.Match) -> str:
        word = m.group(1)
        return m.group(0) if UNIT.fullmatch(word) or singular(word.lower()) in counted or MAGNITUDE.fullmatch(word) else " "
    return re.sub(r"(?<![\w.,])\d[\d,.]*-?([A-Za-z]+)\b", keep, text)


def holds(asked: Asked, question: str, texts: list[str], outlets: list[str] | None = None) -> list[list[str]]:
    """What each text gives of what the question asks for: the entities of the wanted kind that the question does not
    name (or, for numbers, the figures it does not hold); [] for a text that does not answer. A question that asks
    for no kind of thing is answered by any text (the text itself standing as the answer). outlets: each text's
    outlet, which names who reports, not what was asked ("News Nation tried to find out ..." names no mall)."""
    from .entities import entities, plain

    found_all: list[list[str]] = [[t] for t in texts]
    if asked.wants:
        found = entities(texts)
        question_numbers = set(re.findall(r"\d(?:[\d,.]*\d)?", question))
        # A name of one word tagged PERSON is often a place or a thing ("Braunau am Inn"): it counts when the texts
        # also give it as someone's full name ("Wolfgang Peschorn" ... "Peschorn said").
        surnames = {t.split()[-1] for f in found for label, t in f if label == "PERSON" and len(t.split()) > 1}
        about_saying = SAYING.search(question) is not None
        money = [{t for label, t in f if label == "MONEY"} for f in found]
        asked_words = set(plain(question).split())
        for j, text in enumerate(texts):
            loose = glued(text, asked.counted)  # the text without figures that are part of a word
            idiomless, label_of = NOT_A_COUNT.sub(" ", text), {t: label for label, t in found[j]}
            standing = set(re.findall(r"\d[\d,.]*\d|\d", loose))
            names = [t for t in new_entities(question, found[j], asked.wants)
                     if not (asked.wants == PEOPLE and len(t.split()) == 1 and t not in surnames and not speaker(t, text))
                     # someone asked about who is not asked for what was said is not the one quoted saying it
                     # (but the one quoted is who holds the role asked about: "… ," company CEO Andy Vesey said)
                     and not (asked.wants == PEOPLE and not about_saying and source_only(t, text) and not titled(t, text, asked.noun))
                     and not (asked.wants == PEOPLE and another_office(t, text, asked.noun))
                     and not (label_of.get(t) in NUMBERS and re.search(rf"\b{re.escape(t)}\b", idiomless) is None)
                     # an amount of money names its currency: "more than 6 million Sentra vehicles" is tagged MONEY
                     and not (t in money[j] and not priced(t, text))
                     and not (outlets and len(squeezed(t)) >= 4 and squeezed(outlets[j] or "").startswith(squeezed(t)))
                     # (nor is a "4K" screen, or the "3" of "a 3-pointer")
                     and not (t[:1].isdigit() and (not re.search(r"\d", glued(t, asked.counted)) or re.fullmatch(r"\d[\d,.]*", t)
                                                   and t not in standing))]
            # The recogniser misses some figures ("0.24", "1080p", "24-17"): any the question does not hold will do, and
            # for an amount of money one with its currency.
            # ... but not one the recogniser read as something else: a date, a sum of money for "how many subscribers",
            # a distance ("3,200 miles") for "how many moons".
            dates = " ".join(t for label, t in found[j] if label in (TIMES | NUMBERS) - asked.wants - {"CARDINAL"})
            numbers = [n for n in re.findall(rf"\d(?:[\d,.]*\d)?|\b(?:{SPELLED})\b", NOT_A_COUNT.sub(" ", loose), re.I)
                       if n not in question_numbers and n not in dates
                       and not (asked.wants.isdisjoint(TIMES) and re.fullmatch(r"(?:19|20)\d\d", n))] if asked.numeric and not names else []
            if numbers and asked.wants <= MONEY and not CURRENCY.search(text):
                numbers = []
            if asked.wants == {"PERCENT"}:  # a share is a figure with its percent sign or word
                numbers = [n for n in numbers if re.search(rf"(?<![\d.]){re.escape(n)}\s*(?:%|percent|per cent|pct)", text, re.I)]
            # ... and clock times it reads as bare numbers ("starts at seven").
            clock = [m.group(0) for m in CLOCK.finditer(text) if m.group(0).lower() not in question.lower()] if asked.wants & TIMES else []
            # A dateline ("HONOLULU, Hawaii (HawaiiNewsNow) -") says where the story was filed, not what was asked.
            filed = DATELINE.match(text)
            if filed:
                names = [t for t in names if t not in text[:filed.end()] or t in text[filed.end():]]
            if asked.wants == PEOPLE and not names:
                # (not what the recogniser read as something else: "the Interior Ministry said")
                other = " ".join(t for label, t in found[j] if label != "PERSON")
                listed = players(text)
                names = [p for p in unasked(listed + (speakers(text) if about_saying or asked.noun else []), asked_words)
                         if p not in other and (about_saying or titled(p, text, asked.noun) or p in listed)]
            if asked.wants >= PLACES and (asked.noun in PLACE_NOUNS or not asked.noun) and not names:
                names = unasked(places(text, asked.noun), asked_words)
            if "TITLE" in asked.wants:
                names += [q for q in re.findall(r"(?:^|\W)['‘\"“]([A-Z][^'’\"”]{1,60})['’\"”](?!\w)", text) if q.lower() not in question.lower()]
            if "URL" in asked.wants:
                names += [u for u in WEB_ADDRESS.findall(text) if u.lower() not in question.lower()]
            found_all[j] = names or numbers or clock
            if asked.shape == "year":  # "in what year": a year, not "today" or "the same week"
                found_all[j] = [g for g in found_all[j] if re.search(r"\b(?:1[89]|20)\d\d\b|\b(?:next|last|this|following|previous) year\b", g, re.I)]
            if asked.shape == "age":
                ages = [m.group(1) or m.group(2) or m.group(0) for m in AGE.finditer(text)]
                found_all[j] = [a for a in ages if not set(re.findall(r"\d+", a)) & question_numbers]
    return found_all


WEB_ADDRESS = re.compile(r"\b(?:https?://)?(?:www\.)?[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|gov|edu|io|co|uk|info|news|us|in)\b(?:/[\w/.-]*)?")
AGE = re.compile(r"\b\d{1,3}[- ]years?[- ]old\b|\baged? (?:of )?\d{1,3}\b|[A-Za-z’'],\s(\d{1,3}),|[A-Z][a-z]+\s\((\d{1,3})\)")


def unasked(names: list[str], asked_words: set[str]) -> list[str]:
    """The names not all of whose words the question holds (asked_words: the question's, as plain() gives them)."""
    from .entities import plain

    return [n for n in names if not set(plain(n).split()) <= asked_words]


NAME_RUN = r"((?:[A-Z][\w'’.-]+\s+){0,2}[A-Z][\w'’-]+)"


def speakers(text: str) -> list[str]:
    """The names a sentence quotes as saying something, where the recogniser gives no one ("... Obama,” Dempsey told
    Gizmodo by email")."""
    found = re.findall(rf"{NAME_RUN},?\s+(?:said|says|told|added|wrote|explained|noted|testified)\b", text)
    found += re.findall(rf"\b(?:said|says|according to)\s+{NAME_RUN}", text)
    return [f for f in dict.fromkeys(found) if f.split()[0].lower() not in STOP | {"the"}]


def players(text: str) -> list[str]:
    """The names of a box score's line: "Palm Bay (1-0): Tolivert 25 points"."""
    return re.findall(r"\b([A-Z][\w'’-]+)\s+\d+\s+(?:points|pts|rebounds|assists|goals|saves|yards|strikeouts)\b", text)


PLACE_RUN = r"((?:[A-Z][\w'’.&-]*\s+){0,3}[A-Z][\w'’&-]*)"


def places(text: str, noun: str = "") -> list[str]:
    """The names a sentence gives as places where the recogniser gives none (it misses "Kyiv" and "Belmarsh", and
    reads "Woking" as a person): names after "in", "at", "near" ("having lunch with Sondland in Kyiv"), and names of
    the kind of place asked for."""
    found = re.findall(rf"\b(?:in|at|near|outside|inside)\s+(?:the\s+)?{PLACE_RUN}", text) + beside(text, noun)
    return [f for f in dict.fromkeys(found) if f.split()[0].lower() not in CALENDAR | STOP | {"the"}]


def beside(text: str, noun: str) -> list[str]:
    """The names a sentence gives as a kind of place: "Belmarsh prison", "the town of Uglii", "Addison, a village
    southwest of Ithaca" for a prison, a town, a village."""
    if not noun:
        return []
    n = rf"(?i:{re.escape(noun)})"
    return (re.findall(rf"{PLACE_RUN}\s+{n}s?\b", text) + re.findall(rf"\b{n}\s+of\s+{PLACE_RUN}", text)
            + re.findall(rf"{PLACE_RUN},\s+an?\s+(?:[\w-]+\s+){{0,2}}{n}\b", text))


WINDOW = 8  # words either side of an answer in which the question's words count as speaking of it


def proximity(question_terms: dict[str, float], text: str, answers: list[str]) -> float:
    """How much of the question the words around an answer hold: the share of the question's content words (each
    weighted, by rarity) within WINDOW words of the answer, for its best answer. "was hospitalized in the county of
    Huade" puts Huade beside "hospitalized" and "county"; a lead that names China among other things does not."""
    from .text import words

    total = sum(question_terms.values())
    tokens = re.findall(r"\w+", text)
    if not total or not tokens:
        return 0.0
    stems = [next(iter(words(t)), "") for t in tokens]
    best = 0.0
    for answer in answers:
        first = re.findall(r"\w+", answer)[:1]
        for p in [k for k, t in enumerate(tokens) if first and t == first[0]][:3]:
            near = set(stems[max(0, p - WINDOW):p + len(re.findall(r"\w+", answer)) + WINDOW])
            best = max(best, sum(w for t, w in question_terms.items() if t in near) / total)
    return best


def speaks_of(word: str, text: str, embed, at_least: float = FOCUS_SIMILAR) -> bool:
    from .text import words

    stem = words(word)
    if stem and stem <= words(text):
        return True
    candidates = sorted({w for w in re.findall(r"[a-z][a-z'-]+", text.lower()) if w not in STOP and len(w) > 2})
    if not candidates:
        return False
    vecs = word_vectors([word] + candidates, embed)
    return float((vecs[1:] @ vecs[0]).max()) >= at_least


def counts_another(figure: str, text: str, counted: tuple, embed) -> bool:
    """Whether a figure counts something other than what the question counts: its words and the words right after it
    name things ("more than 100 powerful geysers" for "how many moons"), none of them what is counted."""
    at = text.find(figure)
    if at < 0 or not counted:
        return False
    # The figure's own unit counts: "more than 300 miles" is no horsepower.
    after = re.findall(r"[A-Za-z][\w'-]*", figure) + re.findall(r"[A-Za-z][\w'-]*", text[at + len(figure):])[:3]
    # ... and so does a unit: "60 mph" measures no horsepower (though the words are close: 0.53).
    units = [singular(w.lower()) for w in after if UNIT.fullmatch(w)]
    if units and any(UNIT.fullmatch(c) for c in counted):
        return not set(units) & {singular(c) for c in counted}
    things = [w for w in after if (re.fullmatch(r"[a-z][a-z-]*[^s]s", w) or UNIT.fullmatch(w)) and w not in STOP]
    return bool(things) and not any(speaks_of(c, " ".join(after), embed) for c in counted if c)


_vectors: dict[str, object] = {}


def word_vectors(ws: list[str], embed):
    """Unit vectors of single words, remembered: the words of news sentences repeat from question to question."""
    import numpy as np

    todo = [w for w in dict.fromkeys(ws) if w not in _vectors]
    if todo:
        if len(_vectors) > 100_000:
            _vectors.clear()
        _vectors.update(zip(todo, np.array(embed(todo))))
    return np.array([_vectors[w] for w in ws])


COMMON_CAPS = set("ceo cfo coo cto ai tv pc vr ar ipo ev suv".split())  # acronyms of common nouns, not names


def subject(question: str) -> list[tuple[str, ...]]:
    """What a question names, which a sentence answering it must be about: its names (runs of capitalised words and
    acronyms, the opening word only when it is no common word), each by its last word ("Kevin Mayer" is "mayer",
    often all an article calls him after its first mention), its initials ("us" for the United States) or its words
    run together ("livescience" for Live Science), and its figures, lower case."""
    return list(dict.fromkeys((last(run), *initials(run), *(["".join(run)] if len(run) > 1 else [])) for run in name_runs(question)))


def last(run: list[str]) -> str:
    """The word a name is shortened to: its last, unless that is a single letter ("Mustang Mach E": mustang, its
    longest), which is in any text."""
    return run[-1] if len(run[-1]) > 1 or len(run) == 1 else max(run, key=len)


def initials(run: list[str]) -> list[str]:
    """What a name of several words may be shortened to: "us" for the United States; not a common word ("Air Show")."""
    from .citations import FUNCTION_WORDS

    short = "".join(w[0] for w in run)
    return [short] if len(run) > 1 and short not in STOP and short not in FUNCTION_WORDS else []


def name_runs(question: str) -> list[list[str]]:
    """The names and figures of a question, each as its words, lower case: ["2022"], ["fifa", "world", "cup"]."""
    from .citations import FUNCTION_WORDS

    found, run_end = [], -2
    # "Steelers-Browns" and "Trump-Xi" name two; "100-yard" a figure; "T-Mobile" and "787-9" one thing. A run of
    # names is broken by anything but a space ("Saraki, Melaye and Murray-Bruce" are three).
    tokens: list[tuple[str, bool]] = []  # (token, whether it follows the one before it after a space only)
    last = 0
    for m in re.finditer(r"[\w’'&.-]*\w", question):
        joined = question[last:m.start()].strip() == ""
        last = m.end()
        parts = m[0].split("-")
        if len(parts) > 1 and parts[0][:1].isdigit() and parts[1][:1].isalpha():
            tokens.append((parts[0], joined))
        elif len(parts) > 1 and all(len(p) > 1 and p[:1].isupper() for p in parts):
            tokens += [(p, joined and i == 0) for i, p in enumerate(parts)]
        else:
            tokens.append((m[0], joined))
    for k, (token, joined) in enumerate(tokens):
        word = re.sub(r"['’]s$", "", token).strip(".").lower()
        if not word or word in STOP or word in FUNCTION_WORDS or word in COMMON_CAPS:
            continue
        if any(ch.isdigit() for ch in word):
            found.append([word])
        elif token[0].isupper() and k > 0:
            if run_end == k - 1 and joined and found and not any(ch.isdigit() for ch in found[-1][-1]):
                found[-1].append(word)  # the same name goes on
            else:
                found.append([word])
            run_end = k
    return found


CORPORATE = set("corporation corp inc co company group ltd llc plc".split())
CALENDAR = set("""january february march april may june july august september october november december monday tuesday
wednesday thursday friday saturday sunday""".split())


def full_names(question: str) -> list[list[str]]:
    """The names of a question that a text must hold in full: those of two words or more, less month and day names
    ("the November Democratic debate"), and not people's, whom an article may call by surname alone ("Pence")."""
    from .entities import entities, plain

    people = {plain(t) for label, t in entities([question])[0] if label == "PERSON"}
    runs = [[w for w in run if w not in CALENDAR] for run in name_runs(question)]
    return [run for run in runs if len(run) > 1 and not any(" ".join(run) in p or p in " ".join(run) for p in people)]



def names_held(runs: list[list[str]], text: str) -> bool:
    """Whether a text holds every name of the question in full, not only its last word: an article on the Davis Cup
    holds "cup" but not the "FIFA World Cup", one on Hong Kong's protests "Kong" and "Hong" (a plural, a demonym and a
    corporate suffix may differ: "Nigerian Senate", "Sierra Nevada Corp.")."""
    from .citations import named_in

    text = text.lower()
    have = set(re.findall(r"\w+", text)) | set(re.findall(r"\w+", text.replace(".", "")))
    # ... or its initials: "U.S." for the United States, "ESA" for the European Space Agency.
    # ... or written as one word, as a site's address writes it: "livescience.com" for Live Science.
    return all(all(named_in(w, have) for w in run if w not in CORPORATE) or any(i in have for i in initials(run)) or "".join(run) in have
               for run in runs)


def coverage(named: list[tuple[str, ...]], text: str) -> float:
    """Share of the names (each a word or its alternatives) that a text holds (a plural or a demonym counting:
    Austrian for Austria; "U.S." for "us")."""
    from .citations import named_in

    if not named:
        return 1.0
    # A name of several words is held by its last word only where the text writes that word as a name: "the beauty
    # brand" does not name Ulta Beauty.
    capitals = {w.lower() for w in re.findall(r"\b[A-Z\d]\w*", text)}
    # ... and an acronym by the initials of a name the text spells out: "Customs and Border Protection" is CBP.
    capitals |= {"".join(w[0] for w in m[0].split() if w[0].isupper()).lower()
                 for m in re.finditer(r"\b[A-Z]\w+(?:\s+(?:(?:and|of|for|the|&)\s+)?[A-Z]\w+)+", text)}
    low = text.lower()
    have = set(re.findall(r"\w+", low)) | set(re.findall(r"\w+", low.replace(".", "")))
    return sum(any(named_in(n, capitals if k == 0 and len(alternatives) > 1 else have | capitals) or ((k > 0 or len(alternatives) == 1) and n in low)
                   for k, n in enumerate(alternatives)) for alternatives in named) / len(named)
