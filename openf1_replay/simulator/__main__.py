from openf1_replay.simulator.cli import main

raise SystemExit(main())
