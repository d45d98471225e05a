from perfloop.cli import main

main()
