// Small string helpers every layer uses: split, join, trim, upper and lower
// case, the line ending of a table row, and user text made safe to print
// (printable) or to type again (quote_command_line).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace avio {

// The pieces of `text` between `separator`s: "a,,b" gives "a", "", "b"; ""
// gives one empty piece.
std::vector<std::string> split(std::string_view text, char separator);
// The same pieces as views into `text`, which must outlive them.
std::vector<std::string_view> split_view(std::string_view text, char separator);

// `parts` with `separator` between them.
std::string join(const std::vector<std::string>& parts, std::string_view separator);

// `text` without the `blanks` at its start and end (trim) or at its end only (trim_end).
std::string_view trim(std::string_view text, std::string_view blanks = " \t");
std::string_view trim_end(std::string_view text, std::string_view blanks = " \t");

// `text` in upper (upper) or lower (lower) case (ASCII).
std::string upper(std::string_view text);
std::string lower(std::string_view text);
bool equal_ignoring_case(std::string_view a, std::string_view b);

// Appends `row` without its trailing spaces, then a newline: a table row
// whose last columns are empty ends at its last text.
void append_line(std::string& out, std::string_view row);

// `text` with control characters shown as '?': user text echoed in a message
// or a log record must not move the cursor or start a new line.
std::string printable(std::string_view text);

// The command line as a shell would need it typed again (control
// characters shown as by printable()).
std::string quote_command_line(const std::vector<std::string>& argv);

} // namespace avio
