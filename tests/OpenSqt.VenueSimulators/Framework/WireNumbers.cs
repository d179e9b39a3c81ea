using System.Globalization;
using OpenSqt.Contracts;

namespace OpenSqt.VenueSimulators.Framework;

/// <summary>How the simulated venues write a decimal on the wire: invariant culture, no trailing zeros ("0.002", "65000").</summary>
public static class WireNumbers
{
    public static string Format(decimal value) => value.Normalize().ToString(CultureInfo.InvariantCulture);
}
