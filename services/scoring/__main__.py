"""python -m services.scoring: the scoring worker, configured from HALLSCORE_* env."""
from services.scoring.main import main

raise SystemExit(main())
