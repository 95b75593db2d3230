from flowtrack.cli.main import main

main()
