// Placeholder until the domain lands.
namespace coal::domain {}
