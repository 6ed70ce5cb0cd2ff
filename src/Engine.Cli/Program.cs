using Engine.Cli;

return EngineCli.Run(args, new StandardOutput(Console.Out), Console.Error);
