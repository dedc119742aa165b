from scallop_curator.cli import main

raise SystemExit(main())
