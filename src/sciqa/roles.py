"""The role a job listing offers, read from its description ("we are looking for an Applied
Scientist"), and the listing's title made of it: "Applied Scientist · IL, Tel Aviv"."""

from __future__ import annotations

import re

# A job listing's title is "ROLE · LOCATION"; "Job listing · LOCATION" when no role is named.
JOB_TITLE_SEPARATOR = " · "
NO_ROLE = "Job listing"
# Head nouns of English job titles ("Applied Scientist", "Senior Data Engineer", "Intern").
_ROLE_NOUN = re.compile(
    r"^(?:scientist|engineer|economist|manager|intern|analyst|researcher|developer|designer|"
    r"architect|consultant|specialist|director|officer|technician|programmer|statistician|"
    r"postdoc|fellow|administrator|coordinator|advis[eo]r|strategist|writer|editor|professor|"
    r"lecturer|recruiter|accountant|mathematician|physicist|chemist|biologist|linguist|"
    r"technologist|trainee|apprentice)s?$",
    re.IGNORECASE,
)
# "Job title: ...", "Offered Position: Manager III, Economist Job Location: ..."
_ROLE_LABEL = re.compile(
    r"\b(?:job title|position title|offered position|position|role|title)\s*:\s*"
    r"(.{3,80}?)(?=\s+[A-Z]\w*(?:\s+[A-Z]\w*)?:|[.;]|$)",
    re.IGNORECASE,
)
# Words after which a listing names the role it offers: "we are seeking a Senior X", "As an X".
_ROLE_CUE = re.compile(
    r"\b(?:looking for|seeking|searching for|to hire|hiring|as an?|join \w+ as an?)\s",
    re.IGNORECASE,
)
_ROLE_WORD = re.compile(r"[\w'’&/+-]+(?:\.(?=\s))?|,")
_NOT_IN_ROLE = frozenset(
    ["the", "a", "an", "as", "our", "join", "we", "you", "this", "that", "and"]
)


def job_role(description: str) -> str:
    """The role a job description names, or "" when it names none.

    In order: a labelled field ("Position: Manager III, Economist"); the first capitalised title
    ending in a job noun after a word that introduces it ("looking for a passionate, talented
    Applied Scientist", "As a Senior Research Scientist"), or a lower-case job noun there ("we
    are hiring economists"); the first capitalised title anywhere. A plural is made singular.
    """
    text = description[:3000]
    labelled = _ROLE_LABEL.search(text)
    if labelled:
        return labelled.group(1).strip(" ,")
    for cue in _ROLE_CUE.finditer(text):
        sentence = re.split(r"[.!?;:]\s", text[cue.end() : cue.end() + 160])[0]
        words = _ROLE_WORD.findall(sentence)[:14]
        for k, word in enumerate(words):
            if _ROLE_NOUN.match(word):
                return _title_at(words, k) if word[0].isupper() else _singular([word]).capitalize()
    words = _ROLE_WORD.findall(text)
    for k, word in enumerate(words):
        if word[0].isupper() and _ROLE_NOUN.match(word):
            return _title_at(words, k)
    return ""


def _title_at(words: list[str], k: int) -> str:
    """The capitalised title around the job noun ``words[k]``: up to four capitalised words
    before it, and job nouns or a grade ("III") after it ("Applied Scientist Intern")."""
    i = k
    while (
        i > 0
        and k - i < 4
        and words[i - 1][0].isupper()
        and words[i - 1].lower() not in (_NOT_IN_ROLE)
    ):
        i -= 1
    j = k + 1
    while j < len(words) and (
        re.fullmatch(r"[IVX]{1,4}", words[j])
        or (words[j][0].isupper() and _ROLE_NOUN.match(words[j]))
    ):
        j += 1
    title = words[i:j]
    half = len(title) // 2
    if (
        len(title) % 2 == 0 and title[:half] == title[half:]
    ):  # "Applied Scientist Applied Scientist"
        title = title[:half]
    return _singular(title)


def _singular(title: list[str]) -> str:
    """The title with its plural job noun made singular ("Data Scientists" -> "Data Scientist")."""
    for n in range(len(title) - 1, -1, -1):
        if _ROLE_NOUN.match(title[n]):
            if title[n].lower().endswith("s") and not title[n].lower().endswith("ss"):
                title = [*title[:n], title[n][:-1], *title[n + 1 :]]
            break
    return " ".join(title)


def job_title(role: str, location: str) -> str:
    """A job listing's title: "Applied Scientist · IL, Tel Aviv"; "Job listing · ..." without a
    role."""
    return f"{role or NO_ROLE}{JOB_TITLE_SEPARATOR}{location}"


def role_of(title: str) -> str:
    """The role in a job listing's title, "" when it names none (or is not such a title)."""
    role, sep, _ = title.rpartition(JOB_TITLE_SEPARATOR)
    return role if sep and role != NO_ROLE else ""
