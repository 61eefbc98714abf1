Console.WriteLine("quick start");
