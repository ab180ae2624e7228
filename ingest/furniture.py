"""Page furniture: what a news page says around its article (sign-up, newsletter, share, follow and comment prompts,
photo captions and credits, related links, ad labels, bylines and wire credits, copyright lines, link lists glued into
a sentence) and sentences an outlet repeats under many of its stories. Found in an article's text and cut at ingest,
before it is chunked, indexed or quoted.

The rules are phrasings news pages use for their furniture, matched case-insensitively on a whole line (furniture is
usually a paragraph of its own) or on a sentence inside a paragraph. They prefer precision: a prose sentence cut
loses a fact, a furniture sentence kept is one more sentence the answerer has to pass over."""
import re
import unicodedata
from dataclasses import replace
from re import _constants as sre
from re import _parser as sre_parse

from newsdesk.rag.boilerplate import keyed_sentences
from newsdesk.rag.text import STOPWORDS, sentences
from newsdesk.rag.types import Article

# Bumped whenever the rules change: stored articles are cleaned again under the new ones (ingest.pipeline).
FORMAT = "8"

I = re.I
AGENCY = r"(?:AP|AFP|Reuters|Getty(?: Images)?|EPA(?:-EFE)?|Shutterstock|Bloomberg|Invision|Xinhua|PA (?:Images|Wire|Media)|NurPhoto|SOPA Images|iStock(?:photo)?|Alamy)"
CREDITED = r"(?:AP|AFP|Reuters|Getty Images|EPA|Shutterstock)"  # agencies that follow a photographer's name: "Michael Conroy, AP"
SOCIAL = r"(?:twitter|facebook|instagram|linkedin|youtube|tiktok|threads|mastodon|bluesky|flipboard|pinterest|snapchat|whatsapp|telegram|google news|apple news|x\.com)"
ENDS = re.compile(r"""[.!?…:;"”’)\]»]\s*$""")
MONTH = r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
DAY = r"mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:rs|rsday)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?"
# The labels of page controls: buttons, menus, players, galleries, share and comment boxes.
UI = ("share|shares|share this|share this (?:story|article|page|post)|share on \\w+|share via \\w+|share (?:story|article)|sharing options|tweet|"
      "email|e-mail|email this|print|print this (?:page|article)|pin it|copy link|link copied|save (?:article|story|for later)|"
      "gift (?:this )?article|bookmark|comments?|comment now|show comments|hide comments|view comments|add (?:a |your )?comment|"
      "leave a reply|cancel reply|post comment|report abuse|follow|subscribe|"
      "sign in|sign up|log in|login|log out|logout|register|my account|menu|search|home|back to top|"
      "top of page|return to top|skip to (?:main )?content|skip (?:ad|advertisement)|jump to|next|previous|prev|next article|"
      "previous article|next story|previous story|up next|load more|show more|see more|see all|view all|read more|more|less|"
      "expand|collapse|click to expand|enlarge|enlarge this image|show caption|hide caption|toggle caption|caption|fullscreen|"
      "full screen|mute|unmute|replay|watch now|watch video|play video|listen now|listen to this article|"
      "now playing|autoplay|accept all|i agree|got it|sign up now|subscribe now|"
      "newsletters?|podcasts?|e-edition|advertisement|advertise|sponsored|contact us|"
      "about us|careers|privacy policy|cookie policy|terms of use|terms of service|terms and conditions|"
      "site ?map|faq|rss|text size|font size|a a a|dark mode|reading mode|more options|loading\\.\\.\\.|please wait|"
      "like this|like loading\\.\\.\\.|toggle navigation|navigation|main menu|open menu|close menu|email address|your email|"
      "first name|last name|zip code|postal code|required|conversation|discussion|image|photo|video|gallery|graphic|learn more|get started|"
      "tweet this|email a friend|share this story, choose your platform!?|explore further|order reprints|reprints|print article|"
      "print options|(?:see )?more photos|close|cancel|multimedia|embedded content|images|submit|(?:\\d+ )?(?:comments?|replies|responses)(?: \\(\\d+\\))?")

# A line (a paragraph) that is furniture as a whole when one of these matches it; bullets and list marks are
# stripped first.
LINE = [re.compile(p, f) for p, f in (
    # related links: "Related: ...", "Read more: ...", "[Related: ...]", "(Leggi anche su: ...)"
    (r"^[\[(]?\s*(?:related(?: \w+)?|read(?: more| also| next)?|also read|see (?:also|more)|more(?: from| on)?(?: [\w.&'’-]+){0,3}"
     r"|also(?: on [\w.-]+)?|watch(?: more)?|listen|video|videos|photos|gallery|podcast|slideshow|recommended(?: \w+)?"
     r"|trending(?: \w+)?|top stories|most (?:read|popular|viewed|shared)(?: \w+)?|don'?t miss|editor'?s picks?|partner (?:news|content)"
     r"|see|also see|next|previously|earlier|from the archives?|quiz|poll|live(?: updates)?|must read|recommended reading|read this next"
     r"|leggi anche(?: su)?|lire aussi|à lire aussi|lesen sie auch|mehr zum thema|leia também|veja também|lea también|ver también)\s*[:|]", I),
    (r"[»→]\s*$|^read more (?:from|by|about) |^(?:«|‹)?\s*(?:previous|next|prev|older|newer) (?:post|article|story|entry)s?\b|^you are here\s*:", I),
    (r"^(?:posted in|filed (?:under|in)|tagged(?: with)?|categories|topics|in this article)\b(?!.*[^.][.!?]\s*$)", I),
    (r"^(?!\|)(?:[^|]{12,160}\s\|\s){2,}[^|]{12,160}(?<![^.][.!?])$", 0),
    # the same without a colon, on a line that ends no sentence (a link's headline)
    (r"^(?:related (?:stories|articles|coverage|content|links|posts|topics|videos?)|more (?:on|from|stories|news|videos)\b|also on [\w.-]+\.\w+"
     r"|trending(?: now| stories)?|top stories|most (?:read|popular|viewed|shared|watched)|recommended (?:for you|stories|reading|articles)"
     r"|you (?:may|might) also (?:like|enjoy)|you may like|read next|read this next|don'?t miss|editor'?s (?:picks?|choice)|partner news|popular(?: now| stories| posts)?"
     r"|latest(?: news| stories| videos| posts)?|most popular|must (?:read|watch)|featured(?: stories| articles)?|top news|hot topics|what'?s hot|recent (?:posts|stories|articles)"
     r"|related posts|sponsored stories|promoted links|more videos|up next|next up|breaking news)\b(?!.*[^.][.!?]\s*$)", I),
    (r"(?:\bread more|\bread the full (?:story|article)|(?<=[a-z])read more)\s*(?:»|>|\.\.\.|…)?$", I),
    # shouted promotions: a long line in capitals ("CLICK HERE TO GET THE APP", a related headline in capitals)
    (r"^(?=(?:[^a-z]*\b[A-Z][A-Z'’‘-]+\b){7})[^a-z]{30,}(?<![.!?…\"”)])$", 0),
    # captions and credits
    (r"^\(?(?:photo|photos|photograph|image|images|picture|pic|video|illustration|graphic|photo illustration|cover image"
     r"|(?:main|top|header|featured|lead|hero|feature) image|image source|credit|credits|photo credit|image credit|foto|fotos|bild)"
     r"\s*(?:credit|courtesy|copyright|by)?\s*[:©]", I),
    (r"^(?:image|photo|picture) (?:copyright|caption|courtesy)\b|^media caption|^caption\s*:|^credit\s*(?:\.{2,}|…)|^photographer\s*:|^courtesy(?: of)? [A-Z]", I),
    (r"^(?:AP|AFP|Reuters|REUTERS|EPA) (?:Photo|Images?)\s*/|\b(?:REUTERS|AFP|EPA|AP)\s*/\s*[A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){0,3}(?:\s*/\s*[\w ]+)?\s*$"
     r"|^file\s*[-–—]\s|^FILE (?:PHOTO|PICTURE)|/\s*(?:staff|contributing|freelance) (?:photographer|writer)\b|^special to (?:the )?[A-Z]", 0),
    (r"\[\s*(?:photo|image|credit|picture|video)\s*:[^\]]*\]\s*$|\s\|\s*(?:photo|image|credit|picture)s?\s*:.*$|\bphoto\s*/\s*[A-Z][^.!?]*$|^pictures?\s*:", I),
    (r"^(?:bloomberg|the canadian press|press association|pa media|dpa|ansa|efe|xinhua|kyodo|yonhap|tass|afp/getty images|getty)$", I),
    (r"^(?:[A-Z][\w.'’-]+ ){1,2}[A-Z][\w.'’-]+ for The (?:[A-Z][\w.'’&-]+ ?){1,4}$|^(?:the )?associated press$|^(?:from )?(?:staff and )?wire (?:reports|services)$", 0),
    (r"^(?:photo|photograph|picture|image|illustration)s?(?: illustration)? (?:by|courtesy of|provided by|via)\b", I),
    (rf"^[^.!?]{{0,120}}(?:/|\bvia)\s*{AGENCY}(?: via Getty Images)?(?: file)?$|^(?:[\w.'’-]+ ){{1,4}}[\w.'’-]+,\s*{CREDITED}$", 0),
    (r"^(?:©|\(c\)|copyright\b)", I),
    (r"(?:^|\s)(?:photos?|images?)\s*©", I),
    # a caption ending in its credit: "... in Madrid. (Manu Fernandez/AP)", "... New York.Reuters", "...rabbitCredit: Getty"
    (rf"\(\s*(?:[^()]*/\s*{AGENCY}|{AGENCY}(?: Photo)?(?:/[^()]*)?|[A-Z][\w .&'-]*(?:/[A-Z][\w .&'-]*)+)\s*\)\s*$", 0),
    (r"\(\s*(?:(?:AP )?photos? (?:by|courtesy|credit)[^()]*|(?:image|photo|picture|credit|image credit|photo credit)\s*:[^()]*|[^()]*\bfile(?: photo)?)\s*\)\s*$", I),
    (rf"(?:/|\bvia)\s*{AGENCY}(?: file)?\s*$", 0),
    (r"[.!?]\s+(?:photo|photograph|image|picture)s?(?: illustration)? (?:by|courtesy of)\b[^.!?]*$", I),
    (rf"(?<=[a-z0-9.)”\"])(?:{AGENCY}(?: file)?|(?:Image |Photo )?Credit\s*:.*|Image\s*:.*|Photo\s*:.*)$", 0),
    (rf"[.!?”\"]\s*{AGENCY}\s*$", 0),
    (r"\b(?:file|submitted|staff|contributed|courtesy|handout|stock) (?:photo|image|picture)s?\b", I),
    (r"^in (?:this|these) [^.]{0,80}\b(?:photos?|photograph|image|picture|video|file photo|handout photo)(?: (?:provided|released|taken|made available) by [^,]+)?,", I),
    (r"^(?:an? )?artist[’']?s? (?:concept|impression|illustration|rendering|depiction)\b", I),
    (r"^(?=(?:\S+\s+){0,19}\S+$|.*[^.!?…\"”]$).*\((?:left|right|center|centre|l-r|l to r|from left|top|bottom|inset)\)", I),
    # a caption that ends in its credit, source or publication note: "...Credit...Doug Mills/The New York Times",
    # "... (Source: NASA)", "... [File: Reuters]", "... (credit: NASA/Jude Guidry) |", "... (Published Monday, Nov. 18)"
    (r"[.!?”\"]\s*(?:image |photo )?credits?\s*(?:\.{2,}|…|:)\s*\S.{0,80}$"
     r"|[(\[]\s*(?:source|file|credit|photo|image|courtesy|published|updated)\b\s*:?\s*[^()\[\]]{1,60}[)\]]\s*\|?\s*$", I),
    (rf"^(?:[A-Z][\w.'’-]+ ){{1,3}}[A-Z][\w.'’-]+\s*\|\s*(?:[\w .&'’-]+\s*\|\s*)*{AGENCY}$", 0),
    # another story's headline: tagged "[VIDEO]", "[INSIGHT]", dated "1 hour ago", "Related" run into it
    (r"\[(?:video|videos|pictures|photos|insight|warning|poll|revealed|latest|live|watch|mapped|gallery|review|analysis|opinion|update|"
     r"exclusive|listen|quiz|comment|explained)\]\s*\|?\s*$", I),
    (r"^[^.!?]{10,160}\b\d+ (?:min(?:ute)?s?|hours?|days?) ago\s*$|^related\s*['‘\"“]|^read these next\b|^related tags\b"
     r"|^this (?:article|story|post) is related to\b|^share this\s*:|^\d[\d,.]*k?\s*shares?\b|\bsponsored by\s*$|\[/?button\b", I),
    # ad labels and sponsors
    (r"^(?:advertisement|advertising|advert|ad|ads|sponsored(?: content| links?| posts?| stories| by .*)?|promoted(?: content| stories| links?)?"
     r"|paid (?:content|post|partnership|promotion)|partner content|anzeige|werbung|publicidad|publicité|pubblicità|publicidade|реклама)"
     r"\s*(?:[-–—:].*)?$", I),
    (r"^(?:ADVERTISEMENT|SPONSORED|ADVERTISING|PROMOTED)\b", 0),
    (r"^advertise (?:on|with) |^ad ?choices$|^report (?:this|an) ad$|^advertorial$|^paid for by\b|^content continues below\b|^scroll to continue\b", I),
    (r"^(?:presented|powered|brought to you|sponsored|supported) by(?: [^.!?]{1,60})?$|^in (?:partnership|association) with [^.!?]{1,60}$|\b(?:taboola|outbrain|revcontent|zergnet|mgid)\b|^ads? by\b", I),
    # bylines, datelines and timestamps that stand alone
    (r"^(?:by|story by|words by|written by|posted by|reporting by) [A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){0,3}"
     r"(?:(?:,| and) [A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){0,3})*$", 0),
    (rf"^(?:updated|posted|published|last updated|first published|modified|created)\s*(?:on|at)?\s*:?\s*(?:[\d(]|(?:{MONTH}|{DAY})\b)", I),
    (r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d", 0),
    (r"^\d{1,2}:\d\d\s*(?:am|pm)\b.{0,40}\bby [A-Z]", I),
    (r"^(?:filed under|tags?|tagged(?: with)?|topics?|categor(?:y|ies)|categoria|posted in|published in|related topics|more about)\s*:", I),
    (r"^related topics", I),
    (r"^(?:reading time|read time|tempo de leitura|lesezeit|temps de lecture|tiempo de lectura)\s*:|^\d+ min(?:ute)?s? read$", I),
    # a bare address, or a label and an address
    (r"^(?:https?://|www\.)\S+$", I),
    (r"^[\w ]{1,25}:\s*https?://\S+$", I),
    (r"^\S+@\S+\.\w+$|^(?:twitter|instagram|facebook)\.com/\S+$|^@\w+$", I),
    # navigation and page machinery
    (r"^(?:story|article|text) continues (?:below|after)\b|^continue reading\b|^scroll (?:down )?(?:to|for) |^skip (?:ad|advertisement)\b", I),
    (r"^(?:subscribe|sign in|log in|login|register|sign up|my account|menu|search|home)(?: (?:subscribe|sign in|log in|login|register|sign up|my account|menu|search|home))+$", I),
    (r"^(?=(?:.*\b(?:about|contact|advertise|privacy|terms|careers|subscribe|help|faq|sitemap|tip us)\b){2})(?:[^/|·.!?]{1,25}\s[/|·]\s){2,}[^/|·.!?]{1,25}$", I),
    (r"^\[/?\w+(?: [^\]]*)?\]$", 0),
    (r"^(?:share|tweet|email|e-mail|print|pin|pinterest|whatsapp|facebook|twitter|linkedin|reddit|flipboard|messenger|telegram|sms|copy link|comment|comments|save)"
     r"(?:\s*[|·,]?\s*(?:share|tweet|email|e-mail|print|pin|pinterest|whatsapp|facebook|twitter|linkedin|reddit|flipboard|messenger|telegram|sms|copy link|comment|comments|save))+$"
     r"|^[\d,.]+k?\s*shares?$", I),
    (r"^(?:new, )?\[?\s*[\d,.]+k? comments?\s*\]?$|^comments?$|^(?:view|show|hide|load|read|see) (?:all |the )?(?:[\d,]+ )?comments?\b", I),
    (r"^[Ff]ollow(?: [A-Z][\w.&'’-]*){1,4}\s*:?$", 0),
    (r"click to tweet\s*$", I),
    (r"^stay connected|\b\d[\d,.]*k?\s*(?:fans|followers|subscribers)\s*(?:like|follow|subscribe)", I),
    # a line of page controls only: "Share Tweet Email", "Home > News > World", "Sign in | Register", "Image 3 of 12"
    (rf"^(?:{UI})(?:\s*(?:[|/·•,>»›:-]|\s)\s*(?:{UI}))*\s*[:.!]?$", I),
    (r"^(?:home|news)\s*[>»›/]\s*\w[^>»›]{0,40}(?:\s*[>»›]\s*[^>»›]{1,40})*$", I),
    (r"^(?:image|photo|picture|slide)?\s*\d{1,3}\s*(?:/|of)\s*\d{1,3}$", I),
    # datelines and reading times standing alone
    (rf"^(?:(?:{DAY}),?\s+)?(?:\d{{1,2}}\s+(?:{MONTH})\.?|(?:{MONTH})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?)\s+\d{{4}}"
     r"(?:\s*(?:at\s*)?\d{1,2}[.:]\d\d(?:\s*[ap]\.?m\.?)?(?:\s*[A-Z]{2,4})?)?\s*$", I),
    (r"^(?:published|updated|posted|last (?:updated|modified))?\s*:?\s*\d+\s+(?:min(?:ute)?s?|hours?|days?|weeks?)\s+ago$|^\d+[- ]min(?:ute)?s? read$", I),
    (r"^(?:by|from|words by|written by|story by|posted by|reporting by) [A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){0,3}\s*(?:[,|–—-]|\band\b|&)\s*[^.!?]{0,80}$", 0),
    (r"^[A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){1,3}\s*[|,]\s*(?:AP|AFP|Reuters|Associated Press|Bloomberg|CNN|Staff Writer|Staff Reporter|Contributor|Correspondent)$", 0),
    (r"^(?:about the authors?|about the writer|author|authors|contributors?|contributing)\s*:?$", I),
    (r"^(?:about the authors?|author bio|contributing|contributors?)\s*:", I),
    (r"^(?:media|press|investor|editorial) (?:contacts?|enquiries|inquiries)\b|^contacts?:\s|^source:\s|^sources:\s|^notes? to editors?\b|^#{3,}$|^[-–]\s*ends\s*[-–]$|^SOURCE [A-Z]", I),
    (r"^(?:view|see) (?:original|source) (?:content|version)\b|^view source version on\b", I),
    (r"^(?:photo|image|video|illustration|graphic|screenshot|screengrab|screen grab)s?\s*(?:by|:)?\s*[A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){0,3}(?:\s*/\s*[\w .'’-]+)*$", 0),
    (r"^(?:supplied|handout|screenshot|screengrab|file|getty images|reuters|afp|ap|courtesy(?: photo| image)?(?: of [^.!?]+)?)\s*$", I),
    (r"^(?:pictured|above|below|top|left|right|inset|main picture|main image|seen here|shown here)\s*:", I),
    (r"\b(?:via|/)\s*(?:getty images|afp|reuters|ap|epa|shutterstock)\s*\)?\s*$", I),
)]

# A sentence that is furniture wherever it stands.
SENTENCE = [re.compile(p, f) for p, f in (
    # related links opening a sentence inside a block of them
    (r"^(?:read more|read also|see also|related|more|also on [\w.-]+|top stories|partner news|trending now)\s*[:|]", I),
    (r"^(?:top stories|partner news|trending now|most read)\b", I),
    # sign-up and newsletter prompts
    (r"\b(?:sign(?:ing)? up|subscribe|register|join|get|receive)\b.{0,80}\bnewsletters?\b", I),
    (r"\bnewsletters?\b.{0,80}\b(?:sign up|subscribe|inbox|delivered)\b|\bnewsletters? (?:deliver|bring|offer|keep)", I),
    (r"\b(?:delivers?|offers?|brings?|sends?) (?:you )?(?:daily|weekly|the latest|breaking) (?:updates|news|headlines|briefings)\b", I),
    (r"\byour (?:source|destination|home|go-to (?:source|place|destination)) for (?:the )?(?:best|latest|all)\b|^(?:no ?one|nobody) (?:covers|knows) .+ like\b", I),
    (r"\b(?:in|to|into|straight to) your (?:email )?inbox\b", I),
    (r"^(?:sign up|subscribe|register)(?: now| today| here| for free)?\s*(?:[:!]|$|for (?:our|free|updates|alerts|more)\b|to (?:our|get|receive)\b)", I),
    (r"^(?:join us|join now|join our|join the \w+ (?:club|community))\b", I),
    (r"^get (?:the latest|our|breaking|the best|top|daily|weekly|exclusive)\b[^.!?]{0,80}\b(?:news|updates|headlines|stories|alerts|deals|newsletter|delivered)\b", I),
    (r"^(?:want|looking for|need) more\b[^.!?]*\?", I),
    (r"^start your (?:day|morning|week)\b", I),
    (r"^stay (?:on top of|informed|up[- ]to[- ]date|connected|tuned|in the know|ahead of)\b", I),
    (r"^never miss\b|^don'?t miss (?:a|an|out on|the latest)\b", I),
    (r"\bunsubscribe\b|\bno spam\b|\bby (?:signing up|subscribing|registering|clicking|submitting)\b.{0,80}\byou (?:agree|consent|accept)\b|\bour (?:privacy|cookie) (?:policy|notice)\b", I),
    (r"^if you (?:enjoyed|liked|like|value|appreciate|found) (?:this|our|reading)\b", I),
    (r"\bpaywalls?\b|\b(?:support|subscribe to|become a member of) (?:our|independent|quality) journalism\b", I),
    (r"^(?:become|join as) a (?:member|subscriber|supporter|patron)\b|^subscribe (?:now|today|here)\b", I),
    # share prompts
    (r"^share (?:this|the) (?:story|article|post|page|video|photo)\b|^share (?:on|via|to) " + SOCIAL, I),
    (r"\bshare (?:it|this(?: \w+)?) with (?:a|your) friends?\b|^share your thoughts\b|\babout sharing\b|^share all sharing options\b", I),
    (r"^click to (?:share|email|print|tweet|copy)\b|\(opens in (?:a )?new window\)|\bshared [\d,]+ times\b", I),
    # follow prompts
    (r"^follow (?:us|me|him|her|them|the author|@)\b", I),
    (rf"^(?:follow|like|find|subscribe to|connect with) [^.!?]{{1,60}}\b(?:on|at|via) (?:[\w ,]*\b)?{SOCIAL}\b", I),
    (r"^follow [^.!?]{1,40}\s@\w+|^follow [\w.&'’-]+ online\b", I),
    # reader comments
    (r"\b(?:leave|post|add|write|submit) (?:a|your) (?:comment|reply)\b|\bjoin the (?:conversation|discussion)\b", I),
    (r"\bcomments? (?:are|is) (?:closed|moderated|subject to|welcome|reviewed)\b|\bcommenting (?:using|as)\b|\bcomment (?:via|with|using) (?:facebook|disqus)\b", I),
    (r"\bemail address will not be published\b|\brequired fields are marked\b|\b(?:our|these) community (?:guidelines|standards|rules)\b|^please be (?:mindful|respectful)\b", I),
    (r"\bcoment[aá]rios?\b.{0,120}\bmoderad|\bcomments?\b.{0,80}\bmoderat(?:ed|ion|ing|ors?)\b", I),  # not "moderates"
    # affiliate notes and promotions
    (r"\b(?:may|might|could|will|can) (?:earn|receive|get|collect|make) (?:a |an )?(?:small |affiliate )?(?:commission|share of (?:the )?(?:sales?|revenue)|portion of (?:the )?(?:sales?|revenue))\b", I),
    (r"\baffiliate (?:links?|commission|partnerships?)\b|^disclosure\s*:|\bsupported by (?:its|our) (?:audience|readers)\b", I),
    (r"^(?:see it now|buy (?:it )?now|shop now|get it now|check (?:it out|price|prices)|view deal)\s*(?::|at |on |$)", I),
    (r"\b(?:is|are|was) (?:sponsored|brought to you|presented|paid for|underwritten) by\b", I),
    (r"\b(?:use|enter|apply) (?:the )?(?:promo |coupon |discount |offer )?code\b", I),
    (r"\b(?:click|clique|cliquez|klicken sie|haga clic) (?:here|aqui|aquí|ici|hier)\b|\b(?:download|get|install) (?:the|our) (?:[\w-]+ ){0,3}app\b"
     r"|\b(?:on|to) our (?:[\w'’-]+ ){0,3}podcast\b", I),
    (r"^(?:for more (?:information|details|news|stories|updates|coverage),? )?(?:visit|see|check out|go to|head to|head over to|click|read|follow|get)"
     r" [^.!?]{0,60}\b(?:homepage|home page|website|full coverage|complete coverage|latest coverage)\b", I),
    (r"\bfor more (?:information|details|news|stories|updates),? (?:please )?(?:visit|see|check out|go to|read|click|call|contact)\b", I),
    (r"\bfor (?:more|the latest) (?:[\w'’-]+ ){0,3}(?:news|stories|coverage|updates|videos|articles|headlines|analysis),? (?:visit|see|follow|check out|go to|head to|click|subscribe|sign up|download|like|listen)\b"
     r"|^(?:visit|see|follow|check out|go to|head to|click|subscribe|download|like|listen)\b.{0,80}\bfor (?:more|the latest) (?:[\w'’-]+ ){0,3}(?:news|stories|coverage|updates|videos|articles|headlines)\b", I),
    (r"^you can (?:also )?(?:view|read|see|find|watch|listen|subscribe|sign up|follow|download|hear)\b[^.!?]*\bhere\b", I),
    (r"\bcan be found (?:here|in (?:this|our) (?:[\w-]+ ){0,5}(?:roundup|guide|post|article|story|review|page|coverage|list))\b", I),
    (r"\b(?:tak(?:e|ing)|complete|fill (?:in|out)) (?:this|our|a|the) (?:short |quick )?survey\b|\btell us what you think\b", I),
    # contact lines and author bios
    (r"\b(?:may|can) be reached at\b|^(?:email|e-mail|contact|reach) [A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*)? at\b|^have a (?:news )?tip\b|\bsend (?:us )?(?:a |your )?(?:news )?tips?\b", I),
    (r"^(?!(?:He|She|It|They|This|That|There|We|I|You) )(?:[A-Z][\w.'’-]+ ){0,4}[A-Z][\w.'’-]+ (?:is|was) (?:a|an|the|[A-Z][\w.&]*['’]s)(?: [\w-]+){0,4} (?i:writer|reporter|editor|correspondent|columnist|contributor|journalist|critic|blogger)"
     r"\b(?: (?:at|for|with|who|based|covering|living|in|of|and|on)\b|[.,]?$)", 0),
    (r"^I am an? (?:writer|journalist|reporter|editor|columnist|freelance)\b|^(?:[A-Z]+ )?(?:contributor|columnist) [A-Z][\w.'’-]+ [A-Z]", 0),
    (r"\band the author(?:, most recently,)? of\b|\bhas been (?:reporting|writing) (?:on|about|for)\b", 0),
    # wire credits, publication notes, rights
    (r"^\(?(?:reporting|additional reporting|writing|editing|compiled|written|research|graphics|produced|edited) by\b", I),
    (r"\b(?:contributed|contributing)(?: reporting)? to this (?:report|story|article)\b", I),
    (r"^(?:this (?:article|story|piece|post|report) (?:was |has been |is )?)?(?:originally|first) (?:published|posted|appeared)\b", I),
    (r"^(?:a version of this (?:article|story|piece)|this (?:article|story|piece) (?:is|was) (?:republished|reprinted|reproduced))\b", I),
    (r"\ball rights reserved\b|\bmay not be (?:re)?published, broadcast\b|\bterms under which this (?:site|service) is provided\b", I),
    (r"\bviews (?:and opinions )?expressed\b[^.!?]*\b(?:do not|don'?t|does not) (?:necessarily )?reflect\b", I),
    (r"\b(?:publicado|postado|pubblicato|publié|veröffentlicht) (?:por|da|par|von|em)\b", I),
    (r"^(?:listen|watch) (?:to )?(?:[\w'’-]+ ){0,4}(?:live|here|now|back)\b|^how to (?:listen|watch|subscribe|follow|download)\b", I),
    # a script or player that did not run
    (r"\byour browser does not support\b|\b(?:enable|turn on) javascript\b|\bjavascript is (?:disabled|required|not enabled)\b", I),
    (r"\b(?:this|the) (?:video|content|embed|media|page) (?:is (?:no longer|not|currently not|currently un)available|has (?:expired|been removed)|is invalid)\b"
     r"|^(?:sorry|oops|we'?re sorry)\b.{0,60}\b(?:went wrong|unavailable|not available|try again|error)\b|\bplease (?:try again later|refresh the page)\b"
     r"|\b(?:ad ?blocker|adblock)\b|\bwhitelist(?:ing)? (?:us|our site)\b", I),
    # subscriptions, paywalls and accounts
    (r"^(?:create|register for) (?:a |an |your )?(?:free )?account\b|^already (?:a subscriber|a member|have an account|registered)\b"
     r"|^(?:don'?t|do not) have an account\b|\b(?:log|sign) in to (?:continue|read|comment|keep reading|save|access)\b", I),
    (r"\b(?:subscribers?|members?)[- ]only\b|\bsubscribe (?:for (?:full|unlimited) access|to (?:continue|keep) reading)\b"
     r"|\b(?:get|gain|enjoy) (?:unlimited|full) (?:digital )?access\b|^(?:start|begin|try) (?:your |a |our )?(?:\d+-day )?free trial\b|\bcancel any ?time\b|\b(?:reached|read) (?:your|the) (?:limit|maximum) of (?:free )?(?:articles|stories)\b"
     r"|\byou(?:'ve| have) read \w+ of (?:your )?\w+ free (?:articles|stories)\b|\bthis (?:article|story|content) is (?:for|available to|exclusive to) (?:subscribers|members)\b", I),
    (r"^(?:support|fund|help fund|help support) (?:our|independent|quality|local|trusted|this) (?:\w+ )?(?:journalism|reporting|newsroom|work)\b"
     r"|^(?:donate|make a (?:donation|contribution)|contribute) (?:now|today|to)\b|\b(?:we|our journalism) (?:rely|relies|depend|depends) on (?:readers|supporters|your support)\b"
     r"|^(?:thanks|thank you) for (?:reading|watching|listening|signing up|subscribing|your support)\b", I),
    (r"^(?:enter|type) your (?:email|e-mail)\b|^(?:please )?enter a valid (?:email|e-mail)\b|^(?:check|look in) your inbox\b|^you(?:'re| are) (?:all set|now subscribed|subscribed)\b", I),
    (r"^(?:sign up|subscribe|register)\b.{0,60}\b(?:newsletter|briefing|alerts?|digest|bulletin|updates|emails?|our \w+|today|now|free)\b", I),
    (r"^get (?:[\w'’-]+ ){0,5}(?:delivered|sent) (?:to|straight to|directly to|right to)\b|\bdelivered (?:to your|straight to your|right to your|directly to your)\b", I),
    # comments
    (r"\b(?:let us know|tell us|share your (?:thoughts|views|opinion)|sound off|weigh in|have your say)\b.{0,40}\bcomments?(?: section)?\b"
     r"|\bbe the first to comment\b|\bcomments? (?:have been|has been) (?:disabled|closed)\b"
     r"|\b(?:commenting|comments) (?:is|are) (?:disabled|closed|not available)\b|\bthis (?:discussion|conversation|thread) (?:is|has been) closed\b"
     r"|\bsave my name, email\b|\bnotify me of (?:follow-up comments|new posts|new comments)\b|\bakismet\b|\bhow your comment data is processed\b"
     r"|\bcomments? (?:policy|guidelines)\b|\bpowered by disqus\b|\bwhat do you think\?\s*$", I),
    # share
    (r"\bshare (?:this|it|the (?:story|article)) (?:on|via|with)\b|\b(?:spread the word|tell your friends)\b|\b(?:send|email) (?:this|it) to a friend\b|^shares?\s*[\d,.]+k?$", I),
    # related, recommended
    (r"^(?:in case you missed it|icymi|around the web|from around the web|promoted stories|what to read next|further reading|more coverage|related coverage)\b", I),
    (r"^(?:click here|tap here) to (?:read|see|watch|view|listen|download|subscribe|sign up|get|learn)\b|\bread the (?:full|original|complete) (?:story|article|report|interview)\b", I),
    # affiliate and shopping
    (r"\b(?:earns?|receives?) (?:a |an )?(?:small |affiliate )?commission\b|\bcontains? affiliate\b|\bas an amazon associate\b|\bqualifying purchases\b"
     r"|\b(?:when|if) you (?:buy|shop|purchase|click) (?:through|via|from|using) (?:our|the|these|links)\b|\bprices? (?:and availability )?(?:are|is) (?:accurate|correct|subject to change)\b"
     r"|\bwe (?:independently|only) (?:select|recommend|review|choose)\b|\bour editors independently\b", I),
    (r"^(?:\$|£|€)\s?[\d,.]+ (?:at|on|from) (?:amazon|walmart|best buy|target|ebay|apple|newegg)\b|^(?:buy|shop|view|see|get) (?:it |this )?(?:at|on|from) (?:amazon|walmart|best buy|target|ebay)\b", I),
    # follow and apps
    (r"^(?:like|find|join|connect with|catch) (?:us|\w+) on (?:[\w ]*\b)?(?:" + SOCIAL[3:-1] + r")\b|^follow (?:us|\w+|the author|this author|this topic)\b.{0,40}\b(?:for (?:more|the latest|updates)|on " + SOCIAL + r")"
     r"|^(?:listen|subscribe|follow) (?:to us |to the podcast |to [\w'’ ]{1,30})?on (?:apple podcasts|spotify|google podcasts|stitcher|itunes|youtube|soundcloud)\b"
     r"|\bdownload (?:it )?on the app store\b|\bget it on google play\b|\bavailable on (?:the )?(?:app store|google play)\b|\bget (?:email )?alerts (?:for|on|about)\b", I),
    # bios and contacts
    (r"^(?:[A-Z][\w.'’-]+ ){1,3}(?:covers|writes about|reports on|is based in|lives in|has covered|previously worked)\b.{0,120}$(?<=\.)|^(?:email|contact|reach|write to) (?:the author|the writer|him|her|them|us)\b"
     r"|^(?:more|see more|view all|see all) (?:articles |stories |posts )?(?:by|from) (?:this author|[A-Z])|^(?:view|see) all posts by\b", 0),
    (r"\b(?:is|was) a (?:professor|lecturer|senior fellow|research fellow|phd candidate|doctoral candidate) (?:of|at|in)\b.{0,160}\bthis article\b|\bthis article is republished from\b|\bunder a creative commons licen[cs]e\b|^read the original article\b", I),
    # rights, disclaimers and press-release endings
    (r"\b(?:opinions|views) expressed (?:here |in this (?:article|column|piece) |above )?(?:are|is) (?:those of|the author'?s?|solely|their own|personal)\b"
     r"|^disclaimer\s*:|\bnot (?:intended as )?(?:investment|financial|legal|medical) advice\b|\bfor informational purposes only\b"
     r"|\b(?:reproduction|redistribution|republication)\b.{0,80}\b(?:prohibited|without (?:the )?(?:prior )?(?:written )?permission)\b"
     r"|\bwithout (?:the )?(?:prior |express )?written permission\b|\bcopyright (?:©\s*)?(?:\(c\)\s*)?\d{4}\b|©\s*\d{4}\b", I),
    (r"^(?:this (?:story|article|report|piece|content) (?:was|is) (?:produced|published|written|created|reported) (?:by|in partnership|in collaboration|with support|with the support|as part of|for))\b"
     r"|^this (?:article|story) (?:first )?appeared (?:on|in|at)\b|^(?:this|the) (?:article|story|post) (?:was|has been) (?:republished|reprinted|reproduced|syndicated)\b", I),
    (r"\bforward-looking statements?\b|\bsafe harbor statement\b|\bwe use cookies\b|\bthis (?:web)?site uses cookies\b|\bby (?:continuing to use|using) (?:this|our) (?:site|website)\b", I),
    (r"^(?:with|—|-)\s*(?:agencies|afp|reuters|ap|wire services|inputs from agencies)\s*\.?$|\bcontributed reporting\b|^contributing:\s", I),
    (r"^subscribe to (?:[A-Z][\w.'’&-]*\s?){1,5}(?:[.!]|$|for\b|and\b|to\b|on\b)|^(?:sign in|register|log in) to (?:read|continue|keep reading|comment)\b", 0),
    (r"\bcheck back (?:later |soon )?for (?:updates|more)\b|^this (?:is a )?(?:developing|breaking) (?:story|news)\b|^this story (?:is developing|will be updated)\b", I),
    # what big outlets print under their stories
    (r"\b(?:got|have) a (?:confidential )?(?:news )?tip\b|\bwe want to hear from you\b|\bwe pay for (?:your )?(?:stories|videos)\b|\bdo you have a story for\b"
     r"|\b(?:email|whatsapp|call|text) us (?:at|on)\b|^write to (?:[A-Z][\w.'’-]+ ){1,3}at \S+@|^to contact the (?:reporters?|editors?|authors?|writers?)\b"
     r"|^appeared in the\b.{0,80}\bprint edition\b|\bfor more articles like this\b|\btrust principles\b|^our standards\s*:|\bhas a disclosure policy\b", I),
    (r"^share or comment on this\b|\bmedia playback is unsupported\b|^share this with\b|^copy this link\b|\bopen in a (?:new|separate) window\b"
     r"|^explore more on these topics\b|^reuse this content\b|^send any friend a story\b|^give this article\b|^more great [\w.]+ stories\b", I),
    (r"\bbecome (?:our|a) (?:[\d,]+(?:st|nd|rd|th) )?(?:supporter|member|subscriber|patron)\b|\bfinancial contributions from (?:our )?readers\b"
     r"|^support (?:[\w'’]+ ){0,3}(?:journalism|reporting|newsroom)\b", I),
    # more sign-up, comment, share, contact and rights phrasings
    (r"^(?i:sign up) (?:for|to) (?:the |our )?(?:[A-Z][\w'’&-]*\s?){1,4}(?:[.!]|$|(?i:newsletter)|\bto\b|\band\b)", 0),
    (r"^not a (?:subscriber|member)\b|^subscribe (?:for|from) [$£€]|^start (?:your|a) (?:free )?(?:subscription|membership|trial)\b|\bsubscription (?:supports|helps fund|makes)\b"
     r"|^unlock (?:this|the full|unlimited)\b|\bto continue reading\b|^go ad-free\b|^remove ads\b|\bwe respect your privacy\b|^i(?:'d| would) like to receive\b"
     r"|^be the first to (?:know|hear|find out|get)\b|^want to (?:read|see|hear|know) more\b|^don'?t miss out\b", I),
    (r"\blogin to (?:comment|post|reply)\b|^comment on this (?:story|article|post)\b|\bkeep (?:comments|the conversation|it) (?:civil|clean|respectful)\b|^reader comments\b"
     r"|^(?:\d+|one|two|three) (?:responses?|replies|comments|thoughts?) (?:to|on) [“\"]|^log in to reply\b", I),
    (r"\bemail (?:a|to a) friend\b|\bchoose your platform\b|\btweet this\b", I),
    (r"\btweets (?:at|as) @\w+|^e-?mail\s*:\s*\S+@|^(?:twitter|instagram|x)\s*:\s*@\w+|\bhere'?s our email\b|\b(?:we'?d|we would) (?:like|love) to hear (?:what you think|from you)\b", I),
    (r"\bmay earn (?:money|revenue|a fee)\b|\beditorially independent\b", I),
    (r"^distributed by\b|\bis a registered trademark of\b|\btrademarks? (?:are|is) (?:the )?property of\b|\bno part of this\b.{0,60}\bmay be reproduced\b"
     r"|\b(?:published|reprinted|republished|used) with (?:the )?permission\b|\bcommitted to publishing\b"
     r"|\bis an? (?:independent|nonprofit|non-profit|not-for-profit) (?:news|media|journalism) (?:organi[sz]ation|outlet|site|publication|newsroom)\b", I),
    # what a sign-up box says before and after: confirmations, errors, subscriber counts, the inbox
    (r"\b(?:error|problem) (?:processing|with) your (?:subscription|sign-?up|request)\b|\bsucc?ess?fully subscribed\b|\b(?:your|the) inbox\b"
     r"|\bjoin [\d,]+ other (?:subscribers|readers|followers)\b|^get (?:the )?(?:day|week|morning)['’]?s (?:big|top|biggest|best|latest)\b"
     r"|^sign up (?:for|to) [^.!?]{1,40}\b(?:news|updates|alerts|emails?)\s*[!.]?$|\binstant download\b"
     r"|\bdelivered (?:through|to) your (?:letterbox|door|doorstep|mailbox)\b|\b\d+ issues for\b|^subscribe to (?:the |our )(?:[A-Z0-9][\w.'’&-]*\s?){1,5}", I),
    (r"\bnotify me\b|\bmoderat\w* (?:all )?comments\b", I),
    # rights and data notes of big outlets, sponsored-post disclosures, contact lines
    (r"\bfor your personal,? non-commercial use\b|\bpresentation-ready copies\b|\bgoverned by our subscriber agreement\b"
     r"|\bdata (?:is|are) delayed\b|\breal-time snapshot\b|^this (?:article|story) has been (?:adapted from|sent to)\b"
     r"|\bhas been compensated by\b|#ad\b|#sponsored\b|\ball opinions are (?:mine|my own|our own)\b"
     r"|^reach (?:the )?(?:reporters?|writers?|authors?|editors?)\b|^read (?:our|the) [^.!?]{1,40} here\b|^click (?:for|to) \w+", I),
)]
# Sentences that are furniture among an article's last lines, where bios, sign-offs and press-release "About"
# paragraphs stand; in the middle of a story the same words are often news ("Smith is the author of ...").
END = [re.compile(p, f) for p, f in (
    (r"^(?:[A-Z][\w.'’-]+ ){1,3}(?:is|was) (?:the author of|based in|a (?:former|senior|contributing|freelance|staff|regular)\b)|^(?:[A-Z][\w.'’-]+ ){1,3}(?:lives|is based) in\b", 0),
    (r"\b(?:is|are) (?:a|the|an) (?:leading|global|world'?s leading|premier|pioneering|fast-growing|top|innovative) (?:[\w-]+ ){0,4}"
     r"(?:provider|leader|company|platform|developer|manufacturer|supplier|publisher|network|agency|firm|organi[sz]ation)\b", I),
    (r"^(?:[A-Z][\w.'’-]+ ){1,3}(?:reported|contributed) (?:from|to)\b|^(?:[A-Z][\w.'’-]+ ){1,3}is (?:a|an|the) (?:professor|lecturer|fellow|founder|director|ceo|partner)\b", 0),
    (r"^(?:founded|established|headquartered) in\b|^to learn more\b|\bvisit (?:us at )?(?:www\.|https?://)\S+"
     r"|^(?:[A-Z][\w.&'’-]* ){1,3}(?:is|are) (?:headquartered|based) in\b.{0,120}\bemploys?\b", 0),
)]

# A hover card glued into a sentence (The Hill): a name, the name in full, the person's latest headlines, "MORE".
# "Kristi NoemKristi Lynn NoemSouth Dakota governor doubles down ... goes into effect MORE (R) is defending" keeps
# "Kristi Noem (R) is defending".
HOVER = re.compile(r"\b(?P<last>[A-Z][\w'’-]*[a-z])(?P<card>[A-Z][^\n]{0,60}?(?P=last)(?=[A-Z'‘\"“])[^\n]{0,1500}?\s…?\s*MORE\b)")
BULLET = re.compile(r"^\s*(?:[-–—*•·>|]+|\d{1,3}[.)])\s+")
RULE = re.compile(r"^\s*([_*=~-])\1{2,}\s*$")  # a rule line: "___", "***"
# A heading standing alone over a list of links: the lines under it, up to the next paragraph of prose, are links.
OPENS = re.compile(r"^(?:tags|topics|related(?: stories| articles| coverage| links| posts| topics)?|you (?:may|might) also like|more (?:stories|news|headlines)"
                   r"|recommended(?: for you| stories| reading)?|read (?:more|next|also)|trending(?: now| stories)?|most (?:read|popular|viewed))"
                   r"\s*(?:\.\.\.|…|:)?$", re.I)
ABOUT = re.compile(r"^about (?:the )?([^\W\d_][\w.&'’®-]*)(?: [\w.&'’®-]+){0,5}$", re.I)  # "About Acme Corp."


# Each alternative of a rule is tried only on a line that holds one of the literal pieces of text no match of it can
# lack ("newsletter", "subscribe", "photo"): most fit no line of most articles, and `re` spent about 4 µs on each of
# 160 rules per line and sentence (10 ms an ECB+ article), where one scan of a line for all the literals at once (a
# trie, SCAN) costs about 20 µs. The literals are read from the rules' own parse, so a rule changed or added needs
# nothing here; an alternative none can be read from is tried on every line, as all were. Decisions are the same:
# only alternatives that cannot match are skipped.

# The only characters that `re`, ignoring case, matches to an ASCII letter other than that letter's own two cases
# (every code point tried): folded to it, so that a literal found by `re` in a line is found in the folded line too.
ODD_CASES = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def folded(text: str) -> str:
    return text.lower() if text.isascii() else text.translate(ODD_CASES).lower()


def plain(ch: str) -> bool:
    """A character that `re` matches, case ignored or not, only to itself or (an ASCII letter) to what folds like it."""
    return ch.isascii() or (ch.lower() == ch == ch.upper() and unicodedata.category(ch)[0] in "PS")


def rank(found: set[str]) -> tuple[int, int]:
    return min(len(s.strip()) for s in found), -len(found)


def needed(items) -> set[str] | None:
    """Folded strings one of which is in the text of every match of parsed pattern items; None when there are none."""
    best, run = None, ""

    def offer(found: set[str] | None):
        nonlocal best
        # The longest shortest literal rules out the most lines (spaces aside: " a " is in most); then the fewest.
        if found and (best is None or rank(found) > rank(best)):
            best = found

    for op, arg in items:
        if op is sre.LITERAL and plain(chr(arg)):
            run += chr(arg).lower()
            continue
        offer({run} if run else None)
        run = ""
        if op is sre.SUBPATTERN:
            offer(needed(arg[-1]))
        elif op is sre.BRANCH:
            each = [needed(branch) for branch in arg[1]]
            offer(None if None in each else set().union(*each))
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and arg[0] >= 1:
            offer(needed(arg[2]))
        elif op is sre.ATOMIC_GROUP:
            offer(needed(arg))
        elif op is sre.IN and all(kind is sre.LITERAL and plain(chr(c)) for kind, c in arg):
            offer({chr(c).lower() for _, c in arg})
    offer({run} if run else None)
    return best


def literals(rule: re.Pattern) -> set[str] | None:
    try:
        return needed(sre_parse.parse(rule.pattern, rule.flags))
    except Exception:  # re's parser is private: a change in it leaves the rule tried everywhere, as before
        return None


def branches(rule: re.Pattern) -> list[re.Pattern]:
    """The rule's top-level alternatives as rules of their own (a text matches the rule where it matches one): each is
    tried only where its own literals are, and a rule's alternatives after `\\b` cost about 10 µs each per sentence."""
    if rule.flags & re.X:
        return [rule]
    parts, depth, start, i, text = [], 0, 0, 0, rule.pattern
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 1
        elif ch == "[":  # a class: up to its closing bracket (one right after "[" or "[^" is a member)
            i += 2 if text.startswith("[^", i) else 1
            i += text[i] == "]"
            while text[i] != "]":
                i += 2 if text[i] == "\\" else 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    parts.append(text[start:])
    try:
        return [re.compile(part, rule.flags) for part in parts] if len(parts) > 1 else [rule]
    except re.error:
        return [rule]


class Rules:
    """Rules, split into their alternatives, each with the literals it needs."""

    def __init__(self, rules: list[re.Pattern]):
        self.rules = [branch for rule in rules for branch in branches(rule)]
        self.always, self.masks = 0, {}  # bit i: self.rules[i]
        for i, rule in enumerate(self.rules):
            need = literals(rule)
            if need is None:
                self.always |= 1 << i
            for s in need or ():
                self.masks[s] = self.masks.get(s, 0) | 1 << i

    def among(self, present: set[str]) -> list[re.Pattern]:
        """The alternatives that can match a text holding these literals and no others of theirs, in their order."""
        mask = self.always
        for s in present:
            mask |= self.masks.get(s, 0)
        out = []
        while mask:
            bit = mask & -mask
            out.append(self.rules[bit.bit_length() - 1])
            mask ^= bit
        return out


def trie(strings: list[str]) -> str:
    """A pattern of the strings as a trie, longer before shorter at each step: it matches the longest of them that
    starts where it is tried, at the cost of a few steps of `re` (an alternation of 800 strings tries them all)."""
    root: dict = {}
    for string in strings:
        node = root
        for ch in string:
            node = node.setdefault(ch, {})
        node[""] = {}

    def pattern(node: dict) -> str:
        steps = [re.escape(ch) + pattern(child) for ch, child in sorted(node.items()) if ch]
        if len(steps) == 1 and "" not in node:
            return steps[0]
        return "(?:" + "|".join(steps + [""] * ("" in node)) + ")" if steps else ""

    return pattern(root)


LINE_RULES, SENTENCE_RULES, END_RULES = Rules(LINE), Rules(SENTENCE), Rules(END)
LITERALS = sorted({s for rules in (LINE_RULES, SENTENCE_RULES, END_RULES) for s in rules.masks})
# At each position, the longest literal starting there; the literals it starts with are there too.
SCAN = re.compile(f"(?=({trie(LITERALS)}))")
STARTS = {s: {p for p in LITERALS if s.startswith(p)} for s in LITERALS}


def present(text: str) -> set[str]:
    """The literals of LITERALS in text."""
    found: set[str] = set()
    for s in set(SCAN.findall(folded(text))):
        found |= STARTS[s]
    return found


def is_furniture_line(line: str, rules: list[re.Pattern] | None = None) -> bool:
    """rules: those of LINE that can match the line (LINE_RULES.among), when known."""
    core = BULLET.sub("", line).strip()
    return bool(core) and any(rule.search(core) for rule in (LINE_RULES.among(present(core)) if rules is None else rules))


def is_furniture_sentence(sentence: str, rules: list[re.Pattern] | None = None) -> bool:
    core = BULLET.sub("", sentence).strip()
    return bool(core) and any(rule.search(core) for rule in (SENTENCE_RULES.among(present(core)) if rules is None else rules))


def line_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line of text, without its newline."""
    out, start = [], 0
    for line in text.split("\n"):
        out.append((start, start + len(line)))
        start += len(line) + 1
    return out


def headline_like(line: str) -> bool:
    """A line in headline Title Case ("11 Fascinating Facts About Our Milky Way Galaxy"): most long words capitalised,
    and a small word capitalised after the first, which a list of names ("Blue Origin, Kent, Washington") has not."""
    words = re.findall(r"[^\W\d_][\w'’-]*", line)
    long = [w for w in words if len(w) >= 4]
    return (len(words) >= 4 and sum(w[0].isupper() for w in long) >= 0.7 * len(long)
            and any(w[0].isupper() and w.lower().replace("’", "'") in STOPWORDS for w in words[1:]))


def spans(text: str) -> list[tuple[int, int]]:
    """Character spans of text that are furniture: whole lines, sentences inside a paragraph, glued link blocks."""
    lines = [(s, e) for s, e in line_spans(text) if text[s:e].strip()]
    found, listed = [], []
    for n, (s, e) in enumerate(lines):
        line = text[s:e]
        if BULLET.match(line) and not ENDS.search(line):
            listed.append((s, e))
        else:
            found += related(text, listed)
            listed = []
        # A sentence's literals are among its line's: the rules that cannot match the line cannot match its sentences.
        here = present(line)
        if is_furniture_line(line, LINE_RULES.among(here)) or stray(text, lines, n):
            found.append((s, e))
            continue
        about = ABOUT.match(line.strip())
        if about and 2 * s >= len(text) and n + 1 < len(lines) and text[lines[n + 1][0]:].lower().startswith(about.group(1).lower()):
            # A press release's "About <company>" section: the company's standing description, to the end.
            found.append((s, len(text)))
            break
        cards = [(s + m.start("card"), s + m.end("card")) for m in HOVER.finditer(line)]
        found += cards
        parts = sentences(line)
        last = n >= len(lines) - 4
        rules, ends = SENTENCE_RULES.among(here), END_RULES.among(here) if last else []
        cut = [(a, b) for a, b in parts if is_furniture_sentence(line[a:b], rules) or any(r.search(line[a:b]) for r in ends)]
        # A short paragraph half made of prompts is a promotion block when it opens with one, or when it stands among
        # the article's last lines (a bio, an offer): its other sentences ("Members get all of our content...") are too.
        block = cut and (cut[0] == parts[0] or last) and len(parts) <= 5 and 2 * len(cut) >= len(parts)
        if block and not cards:
            found.append((s, e))
        else:
            found += [(s + a, s + b) for a, b in cut]
    found += related(text, listed)
    found += listed_under(text, lines, found)
    # What follows the article's last rule line ("___") is a sign-off when it is short and holds furniture: the
    # author's bio beside an affiliate note, a wire credit.
    rules = [n for n, (s, e) in enumerate(lines) if RULE.match(text[s:e])]
    if rules and 1 <= len(lines) - rules[-1] - 1 <= 3:
        tail = lines[rules[-1] + 1:]
        if any(s < fe and ts < e for ts, e in tail for s, fe in found):
            found.append((lines[rules[-1]][0], len(text)))
    return merged(found)


def prose(line: str) -> bool:
    return len(line.split()) >= 12 and ENDS.search(line) is not None


def stray(text: str, lines: list[tuple[int, int]], n: int) -> bool:
    """A short line without a full stop between two paragraphs of prose: a photo's caption or another story's
    headline dropped into the body ("Typing on the new MacBook Pro Magic Keyboard")."""
    line = text[lines[n][0]:lines[n][1]].strip()
    return (0 < n < len(lines) - 1 and 3 <= len(line.split()) <= 14 and not ENDS.search(line) and not BULLET.match(line)
            and prose(text[lines[n - 1][0]:lines[n - 1][1]]) and prose(text[lines[n + 1][0]:lines[n + 1][1]]))


def listed_under(text: str, lines: list[tuple[int, int]], found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Lines that a list heading ("Tags", "You may also like...") stands over, up to the next paragraph of prose,
    and a run of three or more list items that ends the article just after furniture (a sign-up box, then the
    outlet's headlines with their teasers glued on)."""
    out = []
    for n, (s, e) in enumerate(lines):
        if OPENS.match(BULLET.sub("", text[s:e]).strip()):
            end = n + 1
            while end < len(lines) and not prose(text[lines[end][0]:lines[end][1]]):
                end += 1
            out += [(s, e)] + lines[n + 1:end]
    tail = len(lines)
    while tail > 0 and BULLET.match(text[lines[tail - 1][0]:lines[tail - 1][1]]):
        tail -= 1
    if len(lines) - tail >= 3 and any(a < fe and fs < b for a, b in lines[max(0, tail - 2):tail] for fs, fe in found):
        out += lines[tail:]
    return out


def related(text: str, listed: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A run of list items without full stops that are mostly headlines is a list of links to other stories."""
    heads = sum(headline_like(text[s:e]) or is_furniture_line(text[s:e]) for s, e in listed)
    return listed if len(listed) >= 2 and 2 * heads >= len(listed) else []


def merged(found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for s, e in sorted(found):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def cut(text: str, found: list[tuple[int, int]]) -> str:
    """text without the spans. A line left empty goes with its newline (and with a blank line after it when one stands
    before it, so paragraphs stay one blank line apart); the space a cut leaves inside a line is closed up. Text
    without furniture comes back unchanged, so its hash (and its place in the store) does not move."""
    if not found:
        return text
    keep = [True] * len(text)
    for s, e in found:
        keep[s:e] = [False] * (e - s)
    out: list[str] = []
    gone = False  # the line before was removed
    for s, e in line_spans(text):
        if all(keep[s:e]):
            if not (gone and not text[s:e].strip() and (not out or not out[-1].strip())):
                out.append(text[s:e])
            gone = False
            continue
        line, i = "", s
        while i < e:
            j = i
            while j < e and keep[j] == keep[i]:
                j += 1
            piece = text[i:j].strip() if keep[i] else ""
            if piece:
                # One space where a cut was, none before punctuation ("Rep. Ilhan Omar" + "(D-Minn.), the ...").
                line = f"{line} {piece}" if line and piece[0] not in ",.;:!?)" else line + piece
            i = j
        gone = not line
        if line:
            out.append(line)
    while out and not out[-1].strip():
        out.pop()
    while out and not out[0].strip():
        out.pop(0)
    return "\n".join(out)


def strip(text: str) -> str:
    """text without its furniture by the rules alone (outlet boilerplate needs the store: see clean)."""
    return cut(text, spans(text))


def clean(text: str, outlet: str, boilerplate) -> str:
    """text without furniture: what the rules find, then the sentences that boilerplate(keys) (the manifest's
    lookup) says its outlet prints under many stories. A text that would be left empty is kept whole: a judgement on
    every line of an article is more likely wrong than the article is all furniture."""
    kept = strip(text)
    keyed = keyed_sentences(outlet, kept)
    known = boilerplate([k for _, _, k in keyed]) if keyed else set()
    if known:
        kept = cut(kept, [(s, e) for s, e, k in keyed if k in known])
    return kept if kept.strip() else text


# What a table-laid page prints after its headline, on the line the article's first sentence is glued to: the byline,
# the date and time, the outlet ("|  | Seeking a bigger role for a big rocket by Jeff Foust Monday, November 18, 2019
# Earlier this month, NASA announced ...").
MASTHEAD = [re.compile(p, I) for p in (
    rf"\s*by\s+[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){{0,2}}?(?=\s+(?:{DAY}|{MONTH}|\d|[|–—-])\b|\s*[|–—-])",
    rf"\s*(?:{DAY})\.?,?(?=\s)",
    rf"\s*(?:{MONTH})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b",
    r"\s*[-–—,]?\s*\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?\b)?(?-i:\s*[A-Z]{2,4}\b)?",
    r"\s*[-–—|]?\s*[A-Z][\w-]*\.(?:net|com|org|co\.uk|news)\b",
    r"\s*[-–—|:]+(?=\s)")]


def masthead(text: str, title: str) -> int:
    """Where the article starts when its headline is glued to its first line, with what the page prints after it: 0
    when the headline is not there, or is a line of its own (cut elsewhere), or stands bare before prose without a
    table's cell bars (a first sentence may open like the headline)."""
    title = " ".join(title.split())
    lead = len(text) - len(text.lstrip(" |\t"))
    if len(title) < 12 or text[lead:lead + len(title)].lower() != title.lower():
        return 0
    end = lead + len(title)
    if text[end:end + 1] in ("\n", ""):
        return 0
    more = True
    while more:
        more = False
        for piece in MASTHEAD:
            if m := piece.match(text, end):
                end, more = m.end(), True
    return end if "|" in text[:lead] or end > lead + len(title) else 0


def cleaned(article: Article, manifest) -> Article:
    """The article with its text cleaned against the manifest's outlet boilerplate; itself when nothing changes."""
    text = clean(article.text, article.outlet, manifest.boilerplate)
    start = masthead(text, article.title or "")
    if start and text[start:].strip():  # (a text that is all masthead is kept, as clean keeps one that is all furniture)
        text = text[start:].lstrip()
    return article if text == article.text else replace(article, text=text)
