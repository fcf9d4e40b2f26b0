from creatorflow.cli import main

main()
