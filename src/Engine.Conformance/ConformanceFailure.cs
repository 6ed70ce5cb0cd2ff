namespace Engine.Conformance;

/// <summary>A case found the backend's answer wrong; the message is the detail of its FAIL line.</summary>
internal sealed class ConformanceFailure(string message) : Exception(message);

/// <summary>A case cannot be checked here (the reference refuses it); the message is the detail of its skip line.</summary>
internal sealed class CaseSkipped(string message) : Exception(message);
