"""Cases: problem-list items, 差评 and complaints as event-sourced state machines.

Pure core (no Kafka, HTTP or SQL):
  model.py     kinds, states, milestones, the folded Case
  commands.py  what users and the timer ask; who may ask what
  decide.py    commands -> events (the transition table), DomainError on refusal
  evolve.py    events -> Case
  policy.py    deadline rules per region and kind (rectification/deadlines.yaml)
  timers.py    overdue milestones and re-dated provisional deadlines
  rates.py     rates per unit and period
"""
from hallscore.core.cases.decide import allowed_actions, decide
from hallscore.core.cases.errors import DomainError, IllegalTransition, InvalidCommand, MissingEvidence, NotPermitted
from hallscore.core.cases.evolve import apply, fold
from hallscore.core.cases.model import SYSTEM, Actor, Case, Change, DeadlineRule

__all__ = ["Actor", "Case", "Change", "DeadlineRule", "DomainError", "IllegalTransition", "InvalidCommand",
           "MissingEvidence", "NotPermitted", "SYSTEM", "allowed_actions", "apply", "decide", "fold"]
