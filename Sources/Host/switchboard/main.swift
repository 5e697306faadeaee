import SwitchboardHost

await SwitchboardCommand.runFromCommandLine()
