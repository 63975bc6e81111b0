"""The strategies-and-watching context: take-profit ladders, their steps and their alerts.

The package face for the entry points and the other contexts. Modules by purpose:
`inputs` (parsing the body), `drafting` (body + database -> ladder), `lots` (lot sizes),
`commands` (create, pause/resume/complete, mark done), `editing` (change, delete),
`ladder_warnings` (what a draft should look at twice), `queries` (reads), `views` (the
frozen values handed out), `watcher` (the price watch, imported by its job directly).
"""

from exstrat_app.services.strategies.commands import (
    change_status,
    complete_strategy,
    create_strategy,
    mark_step_done,
    pause_strategy,
    preview_strategy,
    resume_strategy,
)
from exstrat_app.services.strategies.editing import delete_strategy, edit_strategy
from exstrat_app.services.strategies.inputs import INVALID_MESSAGE
from exstrat_app.services.strategies.ladder_warnings import LadderWarning, ladder_warnings
from exstrat_app.services.strategies.lots import LotStepLookup, exchange_lot_step_lookup
from exstrat_app.services.strategies.queries import (
    ladder_targets,
    list_executions,
    list_strategies,
    owned_strategy,
    step_count,
    strategy_detail,
)
from exstrat_app.services.strategies.views import (
    ExecutionView,
    LadderTarget,
    Progress,
    StepView,
    StrategyView,
)

__all__ = [
    "INVALID_MESSAGE",
    "ExecutionView",
    "LadderTarget",
    "LadderWarning",
    "LotStepLookup",
    "Progress",
    "StepView",
    "StrategyView",
    "change_status",
    "complete_strategy",
    "create_strategy",
    "delete_strategy",
    "edit_strategy",
    "exchange_lot_step_lookup",
    "ladder_targets",
    "ladder_warnings",
    "list_executions",
    "list_strategies",
    "mark_step_done",
    "owned_strategy",
    "pause_strategy",
    "preview_strategy",
    "resume_strategy",
    "step_count",
    "strategy_detail",
]
