// app comes next
