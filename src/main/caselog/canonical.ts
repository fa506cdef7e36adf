// Moved to src/common (shared by the workstation and the server, DESIGN.md §4).
export * from '../../common/canonical';
